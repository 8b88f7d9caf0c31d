package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.eval.plot.RocPlot;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.method.LangevinAutoencoders;
import org.shortrun.method.Methods;
import org.shortrun.method.ShortRun;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinEncoder;
import org.shortrun.model.Latents;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;

/** One-class anomaly detection: a run's scores, files and report. */
class AnomalyJobTest {

    /**
     * A tiny LAE run on one class of the embedded MNIST: the report's AUROC is that of the scores
     * it wrote, each score is the energy of the encoder's latent recomputed from the checkpoint,
     * and scoring the checkpoint again gives the same report.
     */
    @Test
    void aRunsScoresAreTheEnergiesOfItsLatentsAndItsAurocTheirs(@TempDir Path dir)
            throws IOException {
        ImageDataset all = MnistImages.embedded(32);
        ImageDataset train = all.slice(0, 2_000);
        ImageDataset test = all.slice(9_000, 9_100);
        LadderConfig model =
                LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();
        LangevinAutoencoders clae =
                (LangevinAutoencoders) Methods.published(LangevinAutoencoders.CLAE);
        LearningConfig learning =
                LearningConfig.builder()
                        .setIterations(3)
                        .optBatchSize(16)
                        .optMethod(clae.toBuilder().optPriorSteps(3).build())
                        .optSigma(clae.getPublishedSigma())
                        .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3)
                        .optSeed(2)
                        .optCheckpointEvery(0)
                        .build();
        AnomalyJob.Report report =
                AnomalyJob.builder()
                        .setModel(model)
                        .setLearning(learning)
                        .setNormalClass(1)
                        .setTrainImages(train)
                        .setTestImages(test)
                        .optOutput(dir)
                        .build()
                        .run();
        assertEquals(train.withLabel(1).imageCount(), report.trainImages());
        assertEquals(100, report.testImages());
        List<String> lines = Files.readAllLines(dir.resolve(AnomalyJob.SCORES_FILE));
        assertEquals(101, lines.size());
        double[] scores = new double[100];
        boolean[] anomalous = new boolean[100];
        int normal = 0;
        for (int i = 0; i < 100; i++) {
            String[] f = lines.get(i + 1).split(",");
            assertEquals(test.label(i), Integer.parseInt(f[1]));
            anomalous[i] = Boolean.parseBoolean(f[2]);
            scores[i] = Double.parseDouble(f[3]);
            normal += anomalous[i] ? 0 : 1;
            assertEquals(test.label(i) != 1, anomalous[i]);
        }
        assertEquals(normal, report.normalImages());
        assertEquals(Roc.auroc(scores, anomalous), report.auroc(), 0);
        assertTrue(Files.size(dir.resolve(RocPlot.FILE)) > 0);
        Checkpoint cp = Checkpoint.read(dir);
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = cp.restore(cp.getLearningConfig(), manager)) {
            NDArray x = test.batch(manager, 0, 5);
            Map<String, Block> blocks = learner.getMethodState().getBlocks();
            LangevinEncoder encoder = (LangevinEncoder) blocks.get(LangevinAutoencoders.ENCODER);
            EnergyPrior prior = (EnergyPrior) blocks.get(LangevinAutoencoders.PRIOR);
            assertNotNull(prior, "a CLAE run learns an energy-based prior");
            NDArray e =
                    encoder.forward(learner.getParameterStore(), new NDList(x), false)
                            .singletonOrThrow();
            NDList latents = Latents.split(e, learner.getGenerator().getLatentShapes());
            float[] u =
                    PosteriorEnergy.of(
                                    learner.getGenerator(),
                                    learner.getParameterStore(),
                                    x,
                                    latents,
                                    0.15f,
                                    prior,
                                    false)
                            .total()
                            .toFloatArray();
            for (int i = 0; i < 5; i++) {
                assertEquals(u[i], scores[i], 1e-6 * Math.abs(u[i]), "score " + i);
            }
        }
        AnomalyJob.Report again =
                AnomalyJob.builder()
                        .setNormalClass(1)
                        .setTestImages(test)
                        .optCheckpoint(cp)
                        .build()
                        .run();
        assertEquals(report.auroc(), again.auroc(), 0);
        assertEquals(report.meanNormalScore(), again.meanNormalScore(), 0);
    }

    /**
     * Short-run scores infer by K Langevin steps from noise, seeded by the run's seed: the same on
     * every call.
     */
    @Test
    void shortRunScoresAreRepeatable() {
        ImageDataset all = MnistImages.embedded(32);
        LadderConfig model =
                LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();
        LearningConfig learning =
                LearningConfig.builder()
                        .setIterations(1)
                        .optBatchSize(8)
                        .optMethod(ShortRun.builder().optSteps(2).build())
                        .optSeed(4)
                        .optCheckpointEvery(0)
                        .build();
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(new LadderGenerator(model), learning, manager)) {
            double[] a =
                    AnomalyJob.scores(
                            learner.getModel(),
                            learner.currentSigma(),
                            all.slice(9_000, 9_020),
                            20,
                            8,
                            RandomStream.seeded(4),
                            null);
            double[] b =
                    AnomalyJob.scores(
                            learner.getModel(),
                            learner.currentSigma(),
                            all.slice(9_000, 9_020),
                            20,
                            8,
                            RandomStream.seeded(4),
                            null);
            assertArrayEquals(a, b, 0);
            double[] other =
                    AnomalyJob.scores(
                            learner.getModel(),
                            learner.currentSigma(),
                            all.slice(9_000, 9_020),
                            20,
                            8,
                            RandomStream.seeded(5),
                            null);
            assertTrue(!java.util.Arrays.equals(a, other), "the draws move the scores");
        }
    }

    @Test
    void aTaskWithoutBothKindsOrWithTooFewImagesIsRefused() {
        ImageDataset all = MnistImages.embedded(32);
        LadderConfig model =
                LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();
        LearningConfig learning =
                LearningConfig.builder()
                        .setIterations(1)
                        .optBatchSize(8)
                        .optMethod(ShortRun.builder().optSteps(2).build())
                        .optCheckpointEvery(0)
                        .build();
        InputException e =
                assertThrows(
                        InputException.class,
                        () ->
                                AnomalyJob.builder()
                                        .setModel(model)
                                        .setLearning(learning)
                                        .setNormalClass(1)
                                        .setTrainImages(all.slice(0, 100))
                                        .setTestImages(all.slice(9_000, 9_100).withLabel(1))
                                        .build());
        assertTrue(e.getMessage().contains("only images of class 1"), e.getMessage());
        e =
                assertThrows(
                        InputException.class,
                        () ->
                                AnomalyJob.builder()
                                        .setModel(model)
                                        .setLearning(learning)
                                        .setNormalClass(1)
                                        .setTrainImages(all.slice(0, 30))
                                        .setTestImages(all.slice(9_000, 9_100))
                                        .build());
        assertTrue(e.getMessage().contains("fewer than the batch size 8"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> AnomalyJob.builder().setTestImages(all).build());
    }
}
