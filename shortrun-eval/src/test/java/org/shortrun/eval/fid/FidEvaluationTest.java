package org.shortrun.eval.fid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FID measurement as a library user calls it: progress, the cache, and the distances. */
class FidEvaluationTest {

    @TempDir Path dir;

    /** Seeded random grey 32 x 32 images in [-1, 1]; the same seed gives the same images. */
    private static FeatureExtraction.Images images(long seed) {
        return (scope, from, to) -> {
            Random random = new Random(seed * 1_000_003L + from);
            float[] v = new float[(to - from) * 32 * 32];
            for (int i = 0; i < v.length; i++) {
                v[i] = random.nextInt(256) / 127.5f - 1f;
            }
            return scope.create(v, new Shape(to - from, 1, 32, 32));
        };
    }

    /** Records what the evaluation tells its progress bar. */
    private static final class Recorder implements Progress {
        final List<String> events = new ArrayList<>();

        @Override
        public void reset(String message, long max, String trailingMessage) {
            events.add("reset " + message + " " + max);
        }

        @Override
        public void start(long initialProgress) {
            events.add("start " + initialProgress);
        }

        @Override
        public void end() {
            events.add("end");
        }

        @Override
        public void increment(long increment) {
            events.add("increment " + increment);
        }

        @Override
        public void update(long progress, String message) {
            events.add("update " + progress);
        }
    }

    private Path network() throws IOException {
        Path target = dir.resolve("tiny_inception_fid64.pt");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/tiny_inception_fid64.pt")) {
            Files.copy(in, target);
        }
        return target;
    }

    @Test
    void reportsProgressCachesTheRealSideAndMeasuresDistance() throws IOException {
        Path file = network();
        Path cache = dir.resolve("cache");
        try (NDManager manager = NDManager.newBaseManager();
                InceptionNetwork net = InceptionNetwork.load(file, null, 64, null)) {
            Recorder progress = new Recorder();
            FidEvaluation.Result first =
                    FidEvaluation.builder()
                            .setNetwork(net, file)
                            .setReal(images(1), 20, "test-images-1")
                            .setFake(images(2), 12, "other")
                            .optCacheDirectory(cache)
                            .optKid(3, 6, 20)
                            .optBatchSize(8)
                            .optProgress(progress)
                            .build()
                            .compute(manager);
            assertEquals(
                    List.of(
                            "reset Inception features of 20 real images 20",
                            "start 0",
                            "update 8",
                            "update 16",
                            "update 20",
                            "end",
                            "reset Inception features of 12 other images 12",
                            "start 0",
                            "update 8",
                            "update 12",
                            "end"),
                    progress.events);
            assertTrue(first.realCache().startsWith("written "), first.realCache());
            assertTrue(
                    first.fid().distance() > 0 && Double.isFinite(first.fid().distance()),
                    first.toString());
            assertNotNull(first.kid());
            assertEquals(3, first.kid().subsets());

            Recorder again = new Recorder();
            FidEvaluation.Result second =
                    FidEvaluation.builder()
                            .setNetwork(net, file)
                            .setReal(images(1), 20, "test-images-1")
                            .setFake(images(2), 12, "other")
                            .optCacheDirectory(cache)
                            .optKid(3, 6, 20)
                            .optBatchSize(8)
                            .optProgress(again)
                            .build()
                            .compute(manager);
            assertEquals("hit", second.realCache());
            assertEquals(
                    first.fid().distance(),
                    second.fid().distance(),
                    0.0,
                    "the cached real side gives the same FID");
            assertEquals(
                    first.kid().mean(),
                    second.kid().mean(),
                    0.0,
                    "and the same KID, subsets drawn from the same seed");
            assertEquals(
                    "reset Inception features of 12 other images 12",
                    again.events.get(0),
                    "only the scored side goes through Inception");

            // one flipped bit in the cached covariance: never read, rebuilt, and the FID is right
            Path entry = Path.of(first.realCache().substring("written ".length()));
            byte[] bytes = Files.readAllBytes(entry);
            bytes[bytes.length / 2] ^= 4;
            Files.write(entry, bytes);
            FidEvaluation.Result damaged =
                    FidEvaluation.builder()
                            .setNetwork(net, file)
                            .setReal(images(1), 20, "test-images-1")
                            .setFake(images(2), 12, "other")
                            .optCacheDirectory(cache)
                            .optKid(3, 6, 20)
                            .optBatchSize(8)
                            .build()
                            .compute(manager);
            assertEquals(
                    "rebuilt ("
                            + entry
                            + " is damaged: its SHA-256 does not match its contents (damaged or"
                            + " truncated))",
                    damaged.realCache());
            assertEquals(
                    first.fid().distance(),
                    damaged.fid().distance(),
                    0.0,
                    "the rebuilt real side gives the same FID");
            FidEvaluation.Result rebuilt =
                    FidEvaluation.builder()
                            .setNetwork(net, file)
                            .setReal(images(1), 20, "test-images-1")
                            .setFake(images(2), 12, "other")
                            .optCacheDirectory(cache)
                            .optKid(3, 6, 20)
                            .optBatchSize(8)
                            .build()
                            .compute(manager);
            assertEquals("hit", rebuilt.realCache(), "the rebuilt entry is read again");

            FidEvaluation.Result same =
                    FidEvaluation.builder()
                            .setNetwork(net, file)
                            .setReal(images(1), 20, "test-images-1")
                            .setFake(images(1), 20, "the same")
                            .build()
                            .compute(manager);
            assertEquals("off", same.realCache());
            assertEquals(0, same.fid().distance(), 1e-6, "the same images are at distance 0");
            assertNull(same.kid());
        }
    }

    @Test
    void generatorImagesGiveTheSameSamplesForASeed() {
        org.shortrun.model.LadderConfig config =
                org.shortrun.model.LadderConfig.builder()
                        .setZDims(4, 6)
                        .optChannels(16)
                        .optImageChannels(1)
                        .build();
        org.shortrun.training.LearningConfig learning =
                org.shortrun.training.LearningConfig.builder().setIterations(1).build();
        try (NDManager manager = NDManager.newBaseManager();
                org.shortrun.training.Learner learner =
                        new org.shortrun.training.Learner(
                                new org.shortrun.model.LadderGenerator(config),
                                learning,
                                manager)) {
            org.shortrun.method.LatentModel model = learner.getModel();
            float[] a;
            float[] b;
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = new GeneratorImages(model, 5).get(scope, 0, 3);
                assertEquals(new Shape(3, 1, 32, 32), x.getShape());
                a = x.toFloatArray();
                manager.getEngine().setRandomSeed(99); // whatever ran before
                b = new GeneratorImages(model, 5).get(scope, 0, 3).toFloatArray();
            }
            assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        }
    }
}
