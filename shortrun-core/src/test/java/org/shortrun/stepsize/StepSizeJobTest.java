package org.shortrun.stepsize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

/** A step-size study run as a library user would: no command, a tiny generator, two images. */
class StepSizeJobTest {

    private static LadderGenerator tinyLadder(NDManager manager) {
        LadderGenerator g =
                new LadderGenerator(
                        LadderConfig.builder()
                                .setZDims(2, 3)
                                .optChannels(8)
                                .optImageChannels(1)
                                .build());
        g.initialize(manager, DataType.FLOAT32, RandomStream.seeded(7), 1);
        return g;
    }

    private static StepSizeJob.Builder study(NDManager manager) {
        NDArray images =
                RandomStream.seeded(3)
                        .uniform(manager, 1f, new Shape(2, 1, 32, 32), DataType.FLOAT32);
        return StepSizeJob.builder()
                .setGenerator(tinyLadder(manager))
                .setImages(images)
                .setSteps(3)
                .setSigma(0.3f)
                .optGrid(new double[] {0.02, 0.05, 0.1});
    }

    @Test
    void gridReportsEveryEstimateAndTheRulesChoices() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Map<String, Object>> lines = new ArrayList<>();
            long[] progressed = {0, 0};
            Progress progress =
                    new Progress() {
                        @Override
                        public void reset(String message, long max, String trailingMessage) {
                            progressed[0] = max;
                        }

                        @Override
                        public void start(long initialProgress) {}

                        @Override
                        public void end() {}

                        @Override
                        public void increment(long increment) {
                            progressed[1] += increment;
                        }

                        @Override
                        public void update(long done, String message) {}
                    };
            StepSizeJob built =
                    study(manager)
                            .optProgress(progress)
                            .optListener(lines::add)
                            .optSummaryField("iteration", 5L)
                            .build();
            assertEquals(5, built.getDimension());
            StepSizeJob.Result result = built.run(manager);
            assertEquals(3, lines.size());
            assertEquals("grid", lines.get(0).get("search"));
            assertEquals(3, result.grid().trace().size());
            assertNull(result.gradient());
            assertEquals(3, progressed[0]);
            assertEquals(3, progressed[1]);
            Map<String, Object> summary = result.summary();
            assertEquals("lowest", summary.get("rule"), "the paper's rule is the default");
            assertEquals(2, summary.get("examples"));
            assertEquals(3, summary.get("steps"));
            assertEquals(5L, summary.get("iteration"));
            StepSizeProblem.Estimate lowest =
                    StepSizeSearch.lowest(
                            result.grid().trace(), StepSizeSearch.Selection.LOWEST_FINITE);
            assertNotNull(lowest, "small s on a tiny model gives finite estimates");
            assertEquals(lowest.sharedStepSize(), (Double) summary.get("lowest_minimiser"), 0);
            assertEquals(lowest.sharedStepSize(), (Double) summary.get("minimiser"), 0);
            assertTrue(List.of(0.02, 0.05, 0.1).contains((Double) summary.get("lowest_minimiser")));
            assertArrayEquals(new double[] {0.02, 0.05, 0.1}, (double[]) summary.get("grid"));
        }
    }

    @Test
    void theSameSeedGivesTheSameEstimatesAndGradientFollowsTheGrid() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Map<String, Object>> lines = new ArrayList<>();
            StepSizeJob.Result a =
                    study(manager)
                            .optGradient(0.05, 2, 0.1, false)
                            .optListener(lines::add)
                            .build()
                            .run(manager);
            StepSizeJob.Result b =
                    study(manager).optGradient(0.05, 2, 0.1, false).build().run(manager);
            assertEquals(
                    a.grid().trace().get(1).objective(), b.grid().trace().get(1).objective(), 0);
            assertNotNull(a.gradient());
            assertEquals("gradient", lines.get(lines.size() - 1).get("search"));
            assertTrue(a.summary().containsKey("gradient_minimiser"));
        }
    }

    @Test
    void badSettingsAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThrows(IllegalArgumentException.class, () -> study(manager).setSteps(0).build());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> study(manager).optGrid(new double[0]).build());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> study(manager).optGradient(0, 2, 0.1, false).build());
        }
    }

    @Test
    void gridsAndRulesParseAsTheCommandTakesThem() {
        assertArrayEquals(
                new double[] {0.01, 0.02, 0.03},
                StepSizeTuning.parseGrid("--grid", "0.01:0.03:0.01"),
                0);
        assertArrayEquals(
                new double[] {0.02, 0.05}, StepSizeTuning.parseGrid("--grid", "0.02, 0.05"), 0);
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> StepSizeTuning.parseGrid("--grid", "0.1:0.01:0.01"));
        assertEquals(
                "--grid '0.1:0.01:0.01': STEP must be positive and TO at least FROM",
                e.getMessage());
        assertThrows(InputException.class, () -> StepSizeTuning.parseGrid("--grid", "0.1,-1"));
        assertEquals(
                StepSizeSearch.Selection.LOWEST_FINITE,
                StepSizeSearch.Selection.parse("--select", "lowest"));
        assertEquals("lowest", StepSizeSearch.Selection.LOWEST_FINITE.label());
        assertEquals(
                "--select must be lowest or admissible, got 'best'",
                assertThrows(
                                InputException.class,
                                () -> StepSizeSearch.Selection.parse("--select", "best"))
                        .getMessage());
    }

    /** The gradient descent reports its progress too, once per evaluation, after the grid's. */
    @Test
    void progressCountsTheGradientIterationsAfterTheGrid() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<String> phases = new ArrayList<>();
            long[] increments = {0};
            Progress progress =
                    new Progress() {
                        @Override
                        public void reset(String message, long max, String trailingMessage) {
                            phases.add(message + " " + max + " after " + increments[0]);
                        }

                        @Override
                        public void start(long initialProgress) {}

                        @Override
                        public void end() {}

                        @Override
                        public void increment(long increment) {
                            increments[0] += increment;
                        }

                        @Override
                        public void update(long done, String message) {}
                    };
            study(manager)
                    .optGradient(0.05, 2, 0.1, true)
                    .optProgress(progress)
                    .build()
                    .run(manager);
            assertEquals(List.of("s 3 after 0", "gradient 3 after 3"), phases);
            assertEquals(
                    6,
                    increments[0],
                    "three grid points, two gradient steps and the point they reach");
        }
    }
}
