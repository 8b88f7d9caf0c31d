package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.method.ShortRun;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.IterationStats;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.TrainingJob;

/**
 * A training job as train, demo and table cells run it, new or resumed, with what its report adds:
 * the test error measured with seeded draws, and the samples and reconstructions pictures.
 */
class TrainingReportTest {

    private static final LadderConfig MODEL =
            LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();

    private static LearningConfig learning(long iterations) {
        return LearningConfig.builder()
                .setIterations(iterations)
                .optBatchSize(8)
                .optMethod(ShortRun.builder().optSteps(2).build())
                .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3)
                .optSeed(3)
                .optCheckpointEvery(0)
                .build();
    }

    @Test
    void trainsResumesAndMeasuresRepeatably(@TempDir Path dir) throws IOException {
        ImageDataset all = MnistImages.embedded(32);
        ImageDataset train = all.slice(0, 64);
        ImageDataset test = all.slice(9_000, 9_016);
        List<Long> heard = new ArrayList<>();
        TrainingJob.Listener listener =
                new TrainingJob.Listener() {
                    @Override
                    public void onIteration(IterationStats stats) {
                        heard.add(stats.iteration());
                    }
                };
        TrainingReport report = TrainingReport.builder().setTestImages(test).build();
        double first;
        try (TrainingJob job =
                TrainingJob.builder()
                        .setModel(MODEL)
                        .setLearning(learning(2))
                        .setTrainImages(train)
                        .optOutput(dir)
                        .addListener(listener)
                        .build()) {
            job.train();
            first = Reconstruction.of(job.getLearner(), test, 16, job.getManager()).mse();
            assertEquals(
                    first,
                    Reconstruction.of(job.getLearner(), test, 16, job.getManager()).mse(),
                    "the same draws at every measurement");
            report.writePictures(job.getLearner(), job.getManager(), dir);
        }
        assertEquals(List.of(1L, 2L), heard);
        for (String f :
                new String[] {
                    "metrics.csv", "samples.png", "reconstructions.png", "checkpoint/state.json"
                }) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        try (TrainingJob resumed =
                TrainingJob.builder()
                        .setModel(MODEL)
                        .setLearning(learning(3))
                        .setTrainImages(train)
                        .optResume(Checkpoint.read(dir))
                        .optOutput(dir)
                        .build()) {
            assertTrue(resumed.isResumed());
            assertEquals(2, resumed.getLearner().getIteration());
            assertEquals(
                    first,
                    Reconstruction.of(resumed.getLearner(), test, 16, resumed.getManager()).mse(),
                    "restored parameters give the same figure");
            resumed.train();
            assertEquals(3, resumed.getLearner().getIteration());
        }
        InputException other =
                assertThrows(
                        InputException.class,
                        () ->
                                TrainingJob.builder()
                                        .setModel(MODEL)
                                        .setLearning(learning(5).toBuilder().optSeed(9).build())
                                        .setTrainImages(train)
                                        .optResume(Checkpoint.read(dir))
                                        .build());
        assertTrue(other.getMessage().contains("other settings"), other.getMessage());
        InputException batch =
                assertThrows(
                        InputException.class,
                        () ->
                                TrainingJob.builder()
                                        .setModel(MODEL)
                                        .setLearning(learning(1))
                                        .setTrainImages(all.slice(0, 4))
                                        .build());
        assertTrue(
                batch.getMessage().contains("larger than the 4 training images"),
                batch.getMessage());
    }
}
