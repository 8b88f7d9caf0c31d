package org.shortrun.eval.fid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.RandomStream;
import org.shortrun.data.MnistImages;
import org.shortrun.inference.PriorSampler;
import org.shortrun.method.Glo;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.TrainingJob;

/** GLO's samples, for FID, come from the Gaussian fitted to its codes, not from N(0, I). */
class GloSamplesTest {

    @TempDir Path dir;

    @Test
    void aGloModelsSamplesAreDrawnFromItsCodeGaussian() throws IOException {
        LadderConfig model =
                LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();
        LearningConfig glo =
                LearningConfig.builder()
                        .setIterations(3)
                        .optBatchSize(8)
                        .optMethod(Glo.builder().build())
                        .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3)
                        .optCheckpointEvery(0)
                        .build();
        Path run = dir.resolve("glo");
        try (TrainingJob job =
                TrainingJob.builder()
                        .setModel(model)
                        .setLearning(glo)
                        .setTrainImages(MnistImages.embedded(32).slice(0, 64))
                        .optOutput(run)
                        .build()) {
            job.train();
            Learner learner = job.getLearner();
            try (NDManager scope = job.getManager().newSubManager()) {
                float[] images =
                        new GeneratorImages(learner.getModel(), 5).get(scope, 0, 4).toFloatArray();
                NDArray expected =
                        learner.getGenerator()
                                .forward(
                                        learner.getParameterStore(),
                                        learner.drawLatents(scope, 4, RandomStream.seeded(5)),
                                        false)
                                .singletonOrThrow();
                assertArrayEquals(expected.toFloatArray(), images, 0f);
                // the same seed's images from N(0, I), as a model without GLO's codes samples
                float[] standardNormal =
                        PriorSampler.sample(
                                        learner.getGenerator(),
                                        learner.getParameterStore(),
                                        scope,
                                        4,
                                        RandomStream.seeded(5))
                                .toFloatArray();
                assertFalse(Arrays.equals(standardNormal, images));
            }
        }
        Path network = dir.resolve("fid64.pt");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/tiny_inception_fid64.pt")) {
            Files.copy(in, network);
        }
        Path real = FidJobTest.images(dir.resolve("real"), 6, 32, 1);
        // the fid command's path for a GLO checkpoint restores the learner and its codes
        FidJob job =
                FidJob.builder()
                        .setCheckpoint(run)
                        .setRealDirectory(real)
                        .setInception(network)
                        .optFeatureDim(64)
                        .optSamples(5)
                        .build();
        double fid = (Double) job.run().report().get("fid");
        assertTrue(Double.isFinite(fid) && fid >= 0, "fid " + fid);
    }
}
