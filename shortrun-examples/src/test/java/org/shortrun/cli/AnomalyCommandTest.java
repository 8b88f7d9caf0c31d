package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.execute;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shortrun anomaly}: trains on one class or takes a checkpoint, prints the AUROC as one JSON
 * line.
 */
class AnomalyCommandTest {

    private static final String[] TINY = {
        "--z-dims",
        "4,6",
        "--channels",
        "16",
        "--batch-size",
        "16",
        "--test-images",
        "200",
        "--threads",
        "2"
    };

    @Test
    void trainsOnOneClassAndScoresTheSameFromItsCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("lae-1");
        CommandTest.Result r =
                execute(
                        CommandTest.concat(
                                new String[] {
                                    "anomaly",
                                    "--method",
                                    "lae",
                                    "--normal-class",
                                    "1",
                                    "--iterations",
                                    "3",
                                    "--out",
                                    out.toString()
                                },
                                TINY));
        assertEquals(0, r.code(), r.err());
        JsonObject line = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        double auroc = line.get("auroc").getAsDouble();
        assertTrue(auroc >= 0 && auroc <= 1, r.out());
        assertEquals("lae", line.get("method").getAsString());
        assertEquals(1, line.get("normal_class").getAsInt());
        assertEquals(200, line.get("test_images").getAsInt());
        assertEquals(3, line.get("iteration").getAsLong());
        assertTrue(line.get("train_images").getAsInt() > 500, r.out());
        for (String file :
                new String[] {
                    "config.json", "metrics.csv", "scores.csv", "roc.png", "checkpoint/encoder.bin"
                }) {
            assertTrue(Files.exists(out.resolve(file)), file);
        }
        assertEquals(201, Files.readAllLines(out.resolve("scores.csv")).size());
        CommandTest.Result again =
                execute(
                        "anomaly",
                        "--checkpoint",
                        out.toString(),
                        "--normal-class",
                        "1",
                        "--test-images",
                        "200",
                        "--threads",
                        "2");
        assertEquals(0, again.code(), again.err());
        assertEquals(
                auroc,
                JsonParser.parseString(again.out().strip())
                        .getAsJsonObject()
                        .get("auroc")
                        .getAsDouble(),
                0);
        assertBadInput(
                execute(
                        CommandTest.concat(
                                new String[] {
                                    "anomaly",
                                    "--normal-class",
                                    "1",
                                    "--iterations",
                                    "3",
                                    "--out",
                                    out.toString()
                                },
                                TINY)),
                "already holds a checkpoint");
    }

    @Test
    void shortRunScoresAfterItsLangevinSteps(@TempDir Path dir) {
        CommandTest.Result r =
                execute(
                        CommandTest.concat(
                                new String[] {
                                    "anomaly",
                                    "--normal-class",
                                    "0",
                                    "--iterations",
                                    "2",
                                    "--steps",
                                    "2"
                                },
                                TINY));
        assertEquals(0, r.code(), r.err());
        JsonObject line = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertEquals("shortrun", line.get("method").getAsString());
        assertTrue(line.get("mean_anomalous_score").getAsDouble() > 0, r.out());
        assertTrue(!line.has("out"));
    }

    @Test
    void badInputIsRefusedWithOneLine(@TempDir Path dir) throws IOException {
        assertBadInput(
                execute("anomaly", "--normal-class", "-1", "--iterations", "1"),
                "the normal class must be set, and be 0 or more");
        assertBadInput(
                execute(
                        "anomaly",
                        "--normal-class",
                        "1",
                        "--iterations",
                        "1",
                        "--checkpoint",
                        dir.toString()),
                "--checkpoint takes a trained model",
                "give one or the other");
        assertBadInput(
                execute(
                        CommandTest.concat(
                                new String[] {
                                    "anomaly", "--normal-class", "12", "--iterations", "1"
                                },
                                TINY)),
                "the first 200 test images hold no image of class 12");
        assertBadInput(
                execute(
                        "anomaly",
                        "--normal-class",
                        "1",
                        "--checkpoint",
                        dir.resolve("none").toString()),
                "does not exist");
        assertBadInput(execute("anomaly", "--iterations", "1"), "--normal-class");
        assertBadInput(
                execute(
                        CommandTest.concat(
                                new String[] {
                                    "anomaly",
                                    "--normal-class",
                                    "1",
                                    "--iterations",
                                    "1",
                                    "--method",
                                    "clae",
                                    "--prior-lr-scale",
                                    "0"
                                },
                                TINY)),
                "prior's learning-rate scale must be positive, got 0");
    }
}
