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
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.IterationStats;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.TrainingRun;

/**
 * The session train, demo and table cells share: new or resumed, trained, measured with seeded
 * draws.
 */
class TrainingSessionTest {

    private static final LadderConfig MODEL =
            LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();

    private static LearningConfig learning(long iterations) {
        return LearningConfig.builder()
                .setIterations(iterations)
                .optBatchSize(8)
                .optSteps(2)
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
        TrainingRun.Listener listener =
                new TrainingRun.Listener() {
                    @Override
                    public void onIteration(IterationStats stats) {
                        heard.add(stats.iteration());
                    }
                };
        double first;
        try (TrainingSession session =
                TrainingSession.builder()
                        .setModel(MODEL)
                        .setLearning(learning(2))
                        .setTrainImages(train)
                        .optOutput(dir)
                        .addListener(listener)
                        .build()) {
            session.train();
            first = session.reconstructionError(test, 16).mse();
            assertEquals(
                    first,
                    session.reconstructionError(test, 16).mse(),
                    "the same draws at every measurement");
            session.writeSamples(4, dir.resolve("samples.png"));
            session.writeReconstructions(test, dir.resolve("reconstructions.png"));
        }
        assertEquals(List.of(1L, 2L), heard);
        for (String f :
                new String[] {
                    "metrics.csv", "samples.png", "reconstructions.png", "checkpoint/state.json"
                }) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        try (TrainingSession resumed =
                TrainingSession.builder()
                        .setModel(MODEL)
                        .setLearning(learning(3))
                        .setTrainImages(train)
                        .optResume(Checkpoint.read(dir))
                        .optOutput(dir)
                        .build()) {
            assertTrue(resumed.isResumed());
            assertEquals(2, resumed.learner().getIteration());
            assertEquals(
                    first,
                    resumed.reconstructionError(test, 16).mse(),
                    "restored parameters give the same figure");
            resumed.train();
            assertEquals(3, resumed.learner().getIteration());
        }
        InputException other =
                assertThrows(
                        InputException.class,
                        () ->
                                TrainingSession.builder()
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
                                TrainingSession.builder()
                                        .setModel(MODEL)
                                        .setLearning(learning(1))
                                        .setTrainImages(all.slice(0, 4))
                                        .build());
        assertTrue(
                batch.getMessage().contains("larger than the 4 training images"),
                batch.getMessage());
    }
}
