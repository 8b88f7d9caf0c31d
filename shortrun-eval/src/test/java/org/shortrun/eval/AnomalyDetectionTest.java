package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.eval.plot.RocPlot;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.Method;

/**
 * One-class anomaly detection: the AUROC and the ROC curve by hand, and a run's scores, files and
 * report.
 */
class AnomalyDetectionTest {

    /**
     * Scores 0.1, 0.4, 0.35, 0.8 with the last two anomalies: of the four (anomaly, normal) pairs
     * three are ordered (0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4) and one is not, so 0.75. Down the
     * thresholds the curve passes (0, 0), (0, 0.5), (0.5, 0.5), (0.5, 1), (1, 1).
     */
    @Test
    void theAurocAndTheCurveAreTheHandComputedValues() {
        double[] scores = {0.1, 0.4, 0.35, 0.8};
        boolean[] anomalous = {false, false, true, true};
        assertEquals(0.75, AnomalyDetection.auroc(scores, anomalous), 1e-12);
        double[][] curve = AnomalyDetection.rocCurve(scores, anomalous);
        assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 1}, curve[0], 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1, 1}, curve[1], 1e-12);
        assertEquals(
                1.0,
                AnomalyDetection.auroc(new double[] {1, 2, 3}, new boolean[] {false, true, true}),
                0);
        assertEquals(
                0.0,
                AnomalyDetection.auroc(new double[] {3, 1, 2}, new boolean[] {false, true, true}),
                0);
    }

    /**
     * Ties count one half: scores 1, 1, 2 with the last two anomalies give (0.5 + 1) / 2; the curve
     * steps once for the tie.
     */
    @Test
    void tiesCountOneHalf() {
        double[] scores = {1, 1, 2};
        boolean[] anomalous = {false, true, true};
        assertEquals(0.75, AnomalyDetection.auroc(scores, anomalous), 1e-12);
        double[][] curve = AnomalyDetection.rocCurve(scores, anomalous);
        assertArrayEquals(new double[] {0, 0, 1}, curve[0], 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 1}, curve[1], 1e-12);
        assertThrows(
                IllegalArgumentException.class,
                () -> AnomalyDetection.auroc(new double[] {1, 2}, new boolean[] {true, true}));
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        AnomalyDetection.auroc(
                                new double[] {1, Double.NaN}, new boolean[] {false, true}));
    }

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
        LearningConfig learning =
                LearningConfig.builder()
                        .setIterations(3)
                        .optBatchSize(16)
                        .optMethodAsPublished(Method.CLAE)
                        .optPriorSteps(3)
                        .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3)
                        .optSeed(2)
                        .optCheckpointEvery(0)
                        .build();
        AnomalyDetection.Report report =
                AnomalyDetection.builder()
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
        List<String> lines = Files.readAllLines(dir.resolve(AnomalyDetection.SCORES_FILE));
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
        assertEquals(AnomalyDetection.auroc(scores, anomalous), report.auroc(), 0);
        assertTrue(Files.size(dir.resolve(RocPlot.FILE)) > 0);
        Checkpoint cp = Checkpoint.read(dir);
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = cp.restore(cp.getLearningConfig(), manager)) {
            NDArray x = test.batch(manager, 0, 5);
            NDArray e =
                    learner.getLangevinEncoder()
                            .forward(learner.getParameterStore(), new NDList(x), false)
                            .singletonOrThrow();
            NDList latents = org.shortrun.model.LangevinEncoder.split(e, model.getZDims());
            float[] u =
                    PosteriorEnergy.of(
                                    learner.getGenerator(),
                                    learner.getParameterStore(),
                                    x,
                                    latents,
                                    0.15f,
                                    learner.getPrior(),
                                    false)
                            .total()
                            .toFloatArray();
            for (int i = 0; i < 5; i++) {
                assertEquals(u[i], scores[i], 1e-6 * Math.abs(u[i]), "score " + i);
            }
        }
        AnomalyDetection.Report again =
                AnomalyDetection.builder()
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
                        .optSteps(2)
                        .optSeed(4)
                        .optCheckpointEvery(0)
                        .build();
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(model, learning, manager)) {
            double[] a =
                    AnomalyDetection.scores(
                            learner, all.slice(9_000, 9_020), 20, 8, RandomStream.seeded(4), null);
            double[] b =
                    AnomalyDetection.scores(
                            learner, all.slice(9_000, 9_020), 20, 8, RandomStream.seeded(4), null);
            assertArrayEquals(a, b, 0);
            double[] other =
                    AnomalyDetection.scores(
                            learner, all.slice(9_000, 9_020), 20, 8, RandomStream.seeded(5), null);
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
                        .optSteps(2)
                        .optCheckpointEvery(0)
                        .build();
        InputException e =
                assertThrows(
                        InputException.class,
                        () ->
                                AnomalyDetection.builder()
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
                                AnomalyDetection.builder()
                                        .setModel(model)
                                        .setLearning(learning)
                                        .setNormalClass(1)
                                        .setTrainImages(all.slice(0, 30))
                                        .setTestImages(all.slice(9_000, 9_100))
                                        .build());
        assertTrue(e.getMessage().contains("fewer than the batch size 8"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> AnomalyDetection.builder().setTestImages(all).build());
    }
}
