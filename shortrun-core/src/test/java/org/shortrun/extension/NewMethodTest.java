package org.shortrun.extension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.RandomStream;
import org.shortrun.method.LearningMethod;
import org.shortrun.method.MethodContext;
import org.shortrun.method.MethodState;
import org.shortrun.method.Methods;
import org.shortrun.training.ArraySource;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.TrainingJob;
import org.shortrun.training.TrainingRunTest;

/**
 * A new learning method is one class and one line of registration, written outside the library's
 * packages against its public API: {@link MeanImage} infers nothing (every latent is 0) and so
 * learns the mean image at the origin. Once registered, it trains, is saved in config.json and the
 * checkpoint, resumes, and is read back by name, and no file of the library knows it.
 */
class NewMethodTest {

    /** The new method: latents at 0, the generator learns the mean image there. */
    static final class MeanImage implements LearningMethod {
        private final String name = "mean-image";

        @Override
        public String getName() {
            return name;
        }

        @Override
        public void validate() {}

        @Override
        public MethodState newState(MethodContext context) {
            return new MethodState(context) {
                @Override
                public Step computeGradients(Batch batch) {
                    try (GradientCollector collector =
                            Engine.getInstance().newGradientCollector()) {
                        NDArray x = batch.x();
                        NDArray g =
                                generator
                                        .forward(parameterStore, origin(x), true)
                                        .singletonOrThrow();
                        NDArray sse = x.sub(g).square().sum();
                        collector.backward(sse);
                        float value = sse.getFloat();
                        return new Step(value, value);
                    }
                }

                @Override
                public NDList inferLatents(NDArray x, float sigma, RandomStream stream) {
                    return origin(x);
                }

                private NDList origin(NDArray x) {
                    NDList zeros = new NDList();
                    for (Shape shape : generator.latentShapes(x.getShape().get(0))) {
                        zeros.add(x.getManager().zeros(shape));
                    }
                    return zeros;
                }
            };
        }
    }

    @Test
    void aNewMethodIsOneClassAndItsRegistration(@TempDir Path dir) throws Exception {
        Methods.register("mean-image", MeanImage.class, MeanImage::new);

        ArraySource images = new ArraySource(16, 3, -1);
        LearningConfig config =
                LearningConfig.builder()
                        .setIterations(6)
                        .optBatchSize(8)
                        .optMethod(new MeanImage())
                        .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3)
                        .optCheckpointEvery(3)
                        .build();
        float[] losses = new float[6];
        try (TrainingJob job =
                TrainingRunTest.job(config.toBuilder().setIterations(3).build(), images)
                        .optOutput(dir)
                        .build()) {
            job.train();
        }
        // saved by name, resumed from the checkpoint, read back through the registry
        String json = Files.readString(dir.resolve("config.json"));
        assertTrue(json.contains("\"name\": \"mean-image\""), json);
        Checkpoint checkpoint = Checkpoint.read(dir);
        assertEquals("mean-image", checkpoint.getLearningConfig().getMethod().getName());
        try (TrainingJob job = TrainingRunTest.resumed(checkpoint, config, images).build()) {
            assertEquals(3, job.getLearner().getIteration());
            for (int i = 3; i < 6; i++) {
                try (NDManager scope = job.getManager().newSubManager()) {
                    int[] all = new int[images.imageCount()];
                    for (int k = 0; k < all.length; k++) {
                        all[k] = k;
                    }
                    losses[i] = job.getLearner().step(images.batch(scope, all), all);
                }
            }
        }
        assertTrue(
                losses[5] < losses[3],
                "the mean image is learned: " + losses[3] + " -> " + losses[5]);

        JsonObject asked = new JsonObject();
        asked.addProperty("name", "mean-image");
        assertEquals(MeanImage.class, Methods.fromJson(asked).getClass());
        assertTrue(Methods.names().contains("mean-image"));
    }
}
