package org.shortrun.eval.fid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Checks FID and KID against values scipy and numpy computed once (src/test/python). */
class FrechetDistanceTest {

    static JsonObject fixture(String name) throws IOException {
        try (Reader r =
                new InputStreamReader(
                        FrechetDistanceTest.class.getResourceAsStream("/fixtures/" + name),
                        StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r).getAsJsonObject();
        }
    }

    static float[][] matrix(JsonArray rows) {
        float[][] m = new float[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            JsonArray row = rows.get(i).getAsJsonArray();
            m[i] = new float[row.size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = row.get(j).getAsFloat();
            }
        }
        return m;
    }

    private static double relative(double expected, double actual) {
        return Math.abs(expected - actual) / Math.abs(expected);
    }

    @Test
    void fullRankMatchesScipyTo1e9() throws IOException {
        JsonObject c = fixture("fid_cases.json").getAsJsonObject("full_rank");
        try (NDManager manager = NDManager.newBaseManager()) {
            FeatureStatistics real =
                    FeatureStatistics.of(matrix(c.getAsJsonArray("real")), manager);
            FeatureStatistics fake =
                    FeatureStatistics.of(matrix(c.getAsJsonArray("fake")), manager);
            assertEquals(
                    c.getAsJsonArray("real_mean").get(3).getAsDouble(), real.getMean()[3], 1e-12);
            assertTrue(
                    relative(c.get("real_cov_00").getAsDouble(), real.getCovariance().get(0, 0))
                            < 1e-12);
            assertTrue(
                    relative(c.get("real_cov_01").getAsDouble(), real.getCovariance().get(0, 1))
                            < 1e-10);
            FrechetDistance.Result r = FrechetDistance.compute(real, fake);
            double expected = c.get("fid").getAsDouble();
            System.out.printf(
                    "full rank: FID %.15g, scipy %.15g, relative difference %.2e%n",
                    r.distance(), expected, relative(expected, r.distance()));
            assertTrue(
                    relative(expected, r.distance()) < 1e-9,
                    "FID " + r.distance() + " vs scipy " + expected);
        }
    }

    @Test
    void rankDeficientMatchesScipyTo1e6() throws IOException {
        JsonObject c = fixture("fid_cases.json").getAsJsonObject("rank_deficient");
        try (NDManager manager = NDManager.newBaseManager()) {
            FeatureStatistics real =
                    FeatureStatistics.of(matrix(c.getAsJsonArray("real")), manager);
            FeatureStatistics fake =
                    FeatureStatistics.of(matrix(c.getAsJsonArray("fake")), manager);
            FrechetDistance.Result r = FrechetDistance.compute(real, fake);
            double expected = c.get("fid").getAsDouble();
            System.out.printf(
                    "rank-deficient: FID %.15g, scipy %.15g, relative difference %.2e%n",
                    r.distance(), expected, relative(expected, r.distance()));
            assertTrue(
                    relative(expected, r.distance()) < 1e-6,
                    "FID " + r.distance() + " vs scipy " + expected);
            assertTrue(r.imaginary() < FrechetDistance.IMAGINARY_TOLERANCE);
        }
    }

    @Test
    void identicalStatisticsAreAtDistanceZeroAndStatisticsRoundTrip() throws IOException {
        JsonObject c = fixture("fid_cases.json").getAsJsonObject("full_rank");
        try (NDManager manager = NDManager.newBaseManager()) {
            FeatureStatistics real =
                    FeatureStatistics.of(matrix(c.getAsJsonArray("real")), manager);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            real.write(bytes);
            FeatureStatistics back =
                    FeatureStatistics.read(new ByteArrayInputStream(bytes.toByteArray()));
            assertEquals(0, FrechetDistance.compute(real, back).distance(), 1e-9);
        }
    }

    @Test
    void kidMatchesNumpyWhenOneSubsetHoldsEverything() throws IOException {
        JsonObject c = fixture("fid_cases.json").getAsJsonObject("full_rank");
        try (NDManager manager = NDManager.newBaseManager()) {
            float[][] real = matrix(c.getAsJsonArray("real"));
            float[][] fake = matrix(c.getAsJsonArray("fake"));
            KernelInceptionDistance.Result r =
                    KernelInceptionDistance.compute(real, fake, 3, 1000, new Random(1), manager);
            double expected = c.get("kid").getAsDouble();
            System.out.printf(
                    "KID %.15g, numpy %.15g, relative difference %.2e%n",
                    r.mean(), expected, relative(expected, r.mean()));
            assertTrue(
                    relative(expected, r.mean()) < 1e-9,
                    "KID " + r.mean() + " vs numpy " + expected);
            assertEquals(0, r.std(), 1e-12);
            assertEquals(100, r.subsetSize());
        }
    }

    @Test
    void kidOfASetWithItselfIsNearZeroAndFidOfShiftedSetIsTheShift() throws IOException {
        JsonObject c = fixture("fid_cases.json").getAsJsonObject("full_rank");
        try (NDManager manager = NDManager.newBaseManager()) {
            float[][] real = matrix(c.getAsJsonArray("real"));
            float[][] shifted = new float[real.length][];
            for (int i = 0; i < real.length; i++) {
                shifted[i] = real[i].clone();
                shifted[i][0] += 2f;
            }
            FrechetDistance.Result r =
                    FrechetDistance.compute(
                            FeatureStatistics.of(real, manager),
                            FeatureStatistics.of(shifted, manager));
            assertEquals(4.0, r.distance(), 1e-5);
            float[][] fake = matrix(c.getAsJsonArray("fake"));
            double self =
                    KernelInceptionDistance.compute(real, real, 40, 50, new Random(2), manager)
                            .mean();
            double other =
                    KernelInceptionDistance.compute(real, fake, 40, 50, new Random(2), manager)
                            .mean();
            assertTrue(
                    Math.abs(self) < other / 3,
                    "KID of a set with itself " + self + ", with another " + other);
        }
    }

    @Test
    void tooFewVectorsAndMismatchedDimensionsAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThrows(
                    IllegalStateException.class,
                    () -> FeatureStatistics.of(new float[][] {{1f, 2f}}, manager));
            FeatureStatistics a = FeatureStatistics.of(new float[][] {{1f, 2f}, {2f, 1f}}, manager);
            FeatureStatistics b =
                    FeatureStatistics.of(new float[][] {{1f, 2f, 3f}, {2f, 1f, 0f}}, manager);
            assertThrows(IllegalArgumentException.class, () -> FrechetDistance.compute(a, b));
        }
    }
}
