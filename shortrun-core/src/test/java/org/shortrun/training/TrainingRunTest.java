package org.shortrun.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.model.LadderConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

class TrainingRunTest {

    static final LadderConfig MODEL = LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();

    static TrainingConfig config(long iterations, long checkpointEvery) {
        return TrainingConfig.builder()
                .setIterations(iterations)
                .optBatchSize(4)
                .optSteps(3)
                .optStepSize(0.1f)
                .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3)
                .optSeed(11)
                .optCheckpointEvery(checkpointEvery)
                .build();
    }

    static List<float[]> parameters(Learner learner) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : learner.getGenerator().getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Test
    void resumedRunRepeatsAnUninterruptedOne(@TempDir Path dir) throws IOException {
        ArraySource source = new ArraySource(10, 3, -1);
        List<float[]> straight;
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = new Learner(MODEL, config(4, 0), manager)) {
            TrainingRun.builder().setLearner(learner).setSource(source).build().run(manager);
            straight = parameters(learner);
        }
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = new Learner(MODEL, config(2, 0), manager)) {
            TrainingRun.builder().setLearner(learner).setSource(source).optOutput(out).build().run(manager);
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(2, checkpoint.getIteration());
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = checkpoint.restore(config(4, 0), manager)) {
            assertEquals(2, learner.getIteration());
            TrainingRun.builder().setLearner(learner).setSource(source).optOutput(out).build().run(manager);
            List<float[]> resumed = parameters(learner);
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), resumed.get(i), "parameter " + i);
            }
        }
        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(TrainingRun.METRICS_HEADER, metrics.get(0));
        assertEquals(5, metrics.size(), "header and four iterations");
        assertTrue(metrics.get(4).startsWith("4,"));
    }

    @Test
    void iterationsLeaveNoArraysInTheModelsManager() {
        ArraySource source = new ArraySource(10, 3, -1);
        BatchOrder order = new BatchOrder(10, 4, 1);
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = new Learner(MODEL, config(10, 0), manager)) {
            int[] counts = new int[4];
            for (int i = 0; i < counts.length; i++) {
                try (NDManager scope = manager.newSubManager()) {
                    learner.step(source.batch(scope, order.indices(i)));
                }
                counts[i] = manager.getManagedArrays().size();
            }
            // the first step adds Adam's moments; after that nothing may accumulate
            assertEquals(counts[1], counts[3], "arrays left per iteration: " + java.util.Arrays.toString(counts));
        }
    }

    @Test
    void aFailedRunLeavesTheLastCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        ArraySource failing = new ArraySource(10, 3, 4);
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = new Learner(MODEL, config(6, 2), manager)) {
            TrainingRun run = TrainingRun.builder().setLearner(learner).setSource(failing).optOutput(out).build();
            assertThrows(IllegalStateException.class, () -> run.run(manager));
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(2, checkpoint.getIteration());
        assertFalse(Files.exists(out.resolve("checkpoint.tmp")));
    }

    @Test
    void anInterruptedSaveFallsBackToThePreviousCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = new Learner(MODEL, config(1, 0), manager)) {
            TrainingRun.builder().setLearner(learner).setSource(new ArraySource(10, 3, -1)).optOutput(out).build().run(manager);
        }
        // the state between the two renames of a save: only checkpoint.prev exists
        Files.move(out.resolve("checkpoint"), out.resolve("checkpoint.prev"));
        assertTrue(Checkpoint.exists(out));
        assertEquals(1, Checkpoint.read(out).getIteration());
    }

    @Test
    void damagedCheckpointsAreRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = new Learner(MODEL, config(1, 0), manager)) {
            TrainingRun.builder().setLearner(learner).setSource(new ArraySource(10, 3, -1)).optOutput(out).build().run(manager);
        }
        Path parameters = out.resolve("checkpoint/parameters.bin");
        byte[] bytes = Files.readAllBytes(parameters);
        bytes[bytes.length / 2] ^= 1;
        Files.write(parameters, bytes);
        InputException e = assertThrows(InputException.class, () -> Checkpoint.read(out));
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("parameters.bin"), e.getMessage());

        Files.writeString(out.resolve("checkpoint/state.json"), "{ not json");
        e = assertThrows(InputException.class, () -> Checkpoint.read(out));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());

        e = assertThrows(InputException.class, () -> Checkpoint.read(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void resumingUnderOtherSettingsIsRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager(); Learner learner = new Learner(MODEL, config(1, 0), manager)) {
            TrainingRun.builder().setLearner(learner).setSource(new ArraySource(10, 3, -1)).optOutput(out).build().run(manager);
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        try (NDManager manager = NDManager.newBaseManager()) {
            TrainingConfig other = config(2, 0).toBuilder().optSteps(5).build();
            assertThrows(InputException.class, () -> checkpoint.restore(other, manager));
        }
    }
}
