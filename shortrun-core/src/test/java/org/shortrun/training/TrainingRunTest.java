package org.shortrun.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;

class TrainingRunTest {

    static final LadderConfig MODEL =
            LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();

    static LearningConfig config(long iterations, long checkpointEvery) {
        return LearningConfig.builder()
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

    /** Listeners hear the run in order, and hear its end also when it fails. */
    @Test
    void listenersHearEveryIterationAndTheEndEvenOfAFailedRun() throws IOException {
        List<String> heard = new ArrayList<>();
        TrainingRun.Listener recorder =
                new TrainingRun.Listener() {
                    @Override
                    public void onStart(long from, long to) {
                        heard.add("start " + from + " " + to);
                    }

                    @Override
                    public void onIteration(IterationStats stats) {
                        heard.add("iteration " + stats.iteration());
                    }

                    @Override
                    public void onEnd() {
                        heard.add("end");
                    }
                };
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(2, 0), manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(new ArraySource(10, 3, -1))
                    .addListener(recorder)
                    .build()
                    .run(manager);
        }
        assertEquals(List.of("start 0 2", "iteration 1", "iteration 2", "end"), heard);
        heard.clear();
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(4, 0), manager)) {
            TrainingRun run =
                    TrainingRun.builder()
                            .setLearner(learner)
                            .setSource(ArraySource.poisoned(10, 3, 2))
                            .addListener(recorder)
                            .build();
            assertThrows(DivergenceException.class, () -> run.run(manager));
        }
        assertEquals("end", heard.get(heard.size() - 1), heard.toString());
    }

    /**
     * Learning draws from its own seeded streams: DJL code around it sees the engine's generator as
     * it left it.
     */
    @Test
    void learningLeavesTheEnginesGeneratorAlone() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ai.djl.engine.Engine.getInstance().setRandomSeed(42);
            float[] before = manager.randomNormal(new ai.djl.ndarray.types.Shape(8)).toFloatArray();
            ai.djl.engine.Engine.getInstance().setRandomSeed(42);
            try (Learner learner = new Learner(MODEL, config(2, 0), manager)) {
                TrainingRun.builder()
                        .setLearner(learner)
                        .setSource(new ArraySource(10, 3, -1))
                        .build()
                        .run(manager);
            }
            float[] after = manager.randomNormal(new ai.djl.ndarray.types.Shape(8)).toFloatArray();
            assertArrayEquals(before, after);
        }
    }

    /** The same seed gives the same parameters, another seed others. */
    @Test
    void initialParametersFollowTheSeed() {
        try (NDManager manager = NDManager.newBaseManager();
                Learner a = new Learner(MODEL, config(1, 0), manager);
                Learner b = new Learner(MODEL, config(1, 0), manager);
                Learner c =
                        new Learner(MODEL, config(1, 0).toBuilder().optSeed(12).build(), manager)) {
            List<float[]> pa = parameters(a);
            List<float[]> pb = parameters(b);
            List<float[]> pc = parameters(c);
            for (int i = 0; i < pa.size(); i++) {
                assertArrayEquals(pa.get(i), pb.get(i), "parameter " + i);
                assertFalse(java.util.Arrays.equals(pa.get(i), pc.get(i)), "parameter " + i);
            }
        }
    }

    @Test
    void resumedRunRepeatsAnUninterruptedOne(@TempDir Path dir) throws IOException {
        ArraySource source = new ArraySource(10, 3, -1);
        List<float[]> straight;
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(4, 0), manager)) {
            TrainingRun.builder().setLearner(learner).setSource(source).build().run(manager);
            straight = parameters(learner);
        }
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(2, 0), manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(2, checkpoint.getIteration());
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = checkpoint.restore(config(4, 0), manager)) {
            assertEquals(2, learner.getIteration());
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(out)
                    .build()
                    .run(manager);
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

    private static final StepSizeTuning TUNING =
            new StepSizeTuning(
                    2,
                    StepSizeTuning.Search.GRID,
                    List.of(0.02, 0.05, 0.1, 0.3),
                    2,
                    1,
                    10,
                    0.1,
                    null);

    private static List<JsonObject> searches(Path out) throws IOException {
        List<JsonObject> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve(TrainingRun.STEP_SIZE_LOG))) {
            lines.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return lines;
    }

    @Test
    void stepSizeSearchesSetSAndSurviveAResume(@TempDir Path dir) throws IOException {
        ArraySource source = new ArraySource(10, 3, -1);
        Path straightOut = dir.resolve("straight");
        List<float[]> straight;
        SearchRecorder recorder = new SearchRecorder();
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner =
                        new Learner(
                                MODEL,
                                config(4, 0).toBuilder().optStepSizeTuning(TUNING).build(),
                                manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(straightOut)
                    .addListener(recorder)
                    .build()
                    .run(manager);
            straight = parameters(learner);
        }
        List<JsonObject> expected = searches(straightOut);
        assertEquals(2, expected.size(), "searches before iterations 0 and 2");
        recorder.assertEveryEvaluationWasHeard("grid", 4);
        String described = ProgressBar.describe(recorder.evaluations.get(1));
        assertTrue(
                described.startsWith(
                        "step-size search (grid) before iteration 0: 2/4, s 0.05000, objective "),
                described);
        for (JsonObject search : expected) {
            assertFalse(search.has("chosen_per_step"), "a shared s logs no per-step sizes");
        }
        List<String> metrics = Files.readAllLines(straightOut.resolve("metrics.csv"));
        for (int n = 0; n < 2; n++) {
            JsonObject search = expected.get(n);
            assertEquals(2 * n, search.get("iteration").getAsLong());
            assertTrue(search.get("found").getAsBoolean(), search.toString());
            double lowest = Double.POSITIVE_INFINITY;
            double argmin = Double.NaN;
            for (var e : search.getAsJsonArray("estimates")) {
                JsonObject o = e.getAsJsonObject();
                if (o.get("admissible").getAsBoolean()
                        && o.get("objective").getAsDouble() < lowest) {
                    lowest = o.get("objective").getAsDouble();
                    argmin = o.get("s").getAsDouble();
                }
            }
            double chosen = search.get("chosen").getAsDouble();
            assertEquals(argmin, chosen, 0, "the admissible minimiser");
            for (int line = 1 + 2 * n; line <= 2 + 2 * n; line++) {
                float used = Float.parseFloat(metrics.get(line).split(",")[3]);
                assertEquals((float) chosen, used, 1e-6f, "step_size of iteration " + line);
            }
        }

        Path out = dir.resolve("resumed");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner =
                        new Learner(
                                MODEL,
                                config(2, 0).toBuilder().optStepSizeTuning(TUNING).build(),
                                manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        // what a run that died after its checkpoint leaves behind: the resumed run redoes both
        Files.writeString(
                out.resolve(TrainingRun.STEP_SIZE_LOG),
                "{\"iteration\":2,\"chosen\":9}\n{\"iter",
                StandardOpenOption.APPEND);
        Files.writeString(out.resolve("metrics.csv"), "3,1,1,9,1,1,1\n", StandardOpenOption.APPEND);
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(TUNING, checkpoint.getLearningConfig().getStepSizeTuning());
        assertEquals((float) expected.get(0).get("chosen").getAsDouble(), checkpoint.getStepSize());
        assertEquals(
                0.15f,
                checkpoint.getSigma(),
                "the default constant sigma, as inference takes it from the checkpoint");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner =
                        checkpoint.restore(
                                config(4, 0).toBuilder().optStepSizeTuning(TUNING).build(),
                                manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(out)
                    .build()
                    .run(manager);
            List<float[]> resumed = parameters(learner);
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), resumed.get(i), "parameter " + i);
            }
        }
        List<JsonObject> actual = searches(out);
        assertEquals(2, actual.size());
        for (int n = 0; n < 2; n++) {
            assertEquals(expected.get(n).get("chosen"), actual.get(n).get("chosen"));
            assertEquals(expected.get(n).get("estimates"), actual.get(n).get("estimates"));
        }
        List<String> resumedMetrics = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(5, resumedMetrics.size(), "header and four iterations: " + resumedMetrics);
        assertEquals(
                (float) expected.get(1).get("chosen").getAsDouble(),
                Checkpoint.read(out).getStepSize());
    }

    @Test
    void gradientSearchStartsFromTheCurrentStepSize(@TempDir Path dir) throws IOException {
        StepSizeTuning gradient =
                new StepSizeTuning(
                        5, StepSizeTuning.Search.GRADIENT, List.of(), 1, 1, 2, 0.1, null);
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner =
                        new Learner(
                                MODEL,
                                config(1, 0).toBuilder().optStepSizeTuning(gradient).build(),
                                manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(new ArraySource(10, 3, -1))
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        JsonObject search = searches(out).get(0);
        var estimates = search.getAsJsonArray("estimates");
        assertEquals(3, estimates.size(), "two gradient steps and the point they reach");
        assertEquals(
                0.1,
                estimates.get(0).getAsJsonObject().get("s").getAsDouble(),
                1e-7,
                "starts at the configured s");
        double best = Double.POSITIVE_INFINITY;
        double argmin = Double.NaN;
        for (var e : estimates) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("admissible").getAsBoolean() && o.get("objective").getAsDouble() < best) {
                best = o.get("objective").getAsDouble();
                argmin = o.get("s").getAsDouble();
            }
        }
        assertEquals(argmin, search.get("chosen").getAsDouble(), 0);
        assertEquals((float) argmin, Checkpoint.read(out).getStepSize());
    }

    /** Hears every evaluation of every search, and every search. */
    private static final class SearchRecorder implements TrainingRun.Listener {
        final List<TrainingRun.StepSizeProgress> evaluations = new ArrayList<>();
        final List<TrainingRun.StepSizeSearchRecord> searches = new ArrayList<>();

        @Override
        public void onStepSizeEstimate(TrainingRun.StepSizeProgress progress) {
            evaluations.add(progress);
        }

        @Override
        public void onStepSizeSearch(TrainingRun.StepSizeSearchRecord search) {
            searches.add(search);
        }

        /**
         * Each search's evaluations were reported as they were made: the search's own estimates,
         * numbered, with its size and kind.
         */
        void assertEveryEvaluationWasHeard(String kind, int perSearch) {
            assertEquals(perSearch * searches.size(), evaluations.size());
            for (int i = 0; i < evaluations.size(); i++) {
                TrainingRun.StepSizeProgress p = evaluations.get(i);
                TrainingRun.StepSizeSearchRecord search = searches.get(i / perSearch);
                assertEquals(search.iteration(), p.iteration());
                assertEquals(kind, p.search());
                assertEquals(i % perSearch + 1, p.evaluation());
                assertEquals(perSearch, p.evaluations());
                assertTrue(
                        p.estimate() == search.result().trace().get(i % perSearch),
                        "evaluation " + i + " is not the search's own estimate");
                assertTrue(p.seconds() > 0 && p.seconds() <= search.seconds());
            }
        }
    }

    /**
     * s_1..s_K of an estimate or a search as stepsize.jsonl writes them: one number when they are
     * equal.
     */
    private static double[] stepSizes(com.google.gson.JsonElement s, int steps) {
        if (s.isJsonArray()) {
            return doubles(s.getAsJsonArray());
        }
        double[] shared = new double[steps];
        java.util.Arrays.fill(shared, s.getAsDouble());
        return shared;
    }

    private static final StepSizeTuning PER_STEP_TUNING =
            new StepSizeTuning(
                    2, StepSizeTuning.Search.GRADIENT, true, List.of(), 1, 1, 2, 0.1, null, null);

    private static double[] doubles(com.google.gson.JsonArray values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).getAsDouble();
        }
        return out;
    }

    /**
     * Per-step gradient tuning moves each s_k on its own from the current s_1..s_K, the sampler
     * takes them, and a run resumed from the checkpoint between the searches makes the same
     * choices, evaluates the same estimates and ends at the same parameters as an uninterrupted
     * one.
     */
    @Test
    void perStepSearchesSetEachStepsSizeAndSurviveAResume(@TempDir Path dir) throws IOException {
        ArraySource source = new ArraySource(10, 3, -1);
        LearningConfig fourIterations =
                config(4, 0).toBuilder().optStepSizeTuning(PER_STEP_TUNING).build();
        Path straightOut = dir.resolve("straight");
        List<float[]> straight;
        float[] straightSizes;
        SearchRecorder recorder = new SearchRecorder();
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, fourIterations, manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(straightOut)
                    .addListener(recorder)
                    .build()
                    .run(manager);
            straight = parameters(learner);
            straightSizes = learner.getLangevin().getStepSizes();
        }
        List<JsonObject> expected = searches(straightOut);
        assertEquals(2, expected.size(), "searches before iterations 0 and 2");
        recorder.assertEveryEvaluationWasHeard("gradient", 3);
        for (TrainingRun.StepSizeProgress p : recorder.evaluations) {
            double[] s = p.estimate().stepSizes();
            boolean perStep = s[0] != s[1] || s[1] != s[2];
            assertEquals(
                    perStep,
                    ProgressBar.describe(p).contains("(mean of 3 per-step)"),
                    ProgressBar.describe(p));
        }
        double[] first = doubles(expected.get(0).getAsJsonArray("previous_per_step"));
        assertArrayEquals(
                new double[] {0.1, 0.1, 0.1}, first, "the first search starts at the configured s");
        for (int n = 0; n < 2; n++) {
            JsonObject search = expected.get(n);
            assertTrue(search.get("found").getAsBoolean(), search.toString());
            double[] previous = doubles(search.getAsJsonArray("previous_per_step"));
            double[] chosen = doubles(search.getAsJsonArray("chosen_per_step"));
            var estimates = search.getAsJsonArray("estimates");
            assertEquals(3, estimates.size(), "two gradient steps and the point they reach");
            assertArrayEquals(
                    previous,
                    stepSizes(estimates.get(0).getAsJsonObject().get("s"), 3),
                    1e-7,
                    "starts from the current s_1..s_K");
            // the chosen sizes are the best estimate's, as the float the sampler takes
            JsonObject best = null;
            for (var e : estimates) {
                JsonObject o = e.getAsJsonObject();
                if (o.get("admissible").getAsBoolean()
                        && (best == null
                                || o.get("objective").getAsDouble()
                                        < best.get("objective").getAsDouble())) {
                    best = o;
                }
            }
            double[] bestS = stepSizes(best.get("s"), 3);
            for (int k = 0; k < 3; k++) {
                assertEquals((float) bestS[k], (float) chosen[k], "s_" + (k + 1));
            }
            assertFalse(
                    java.util.Arrays.equals(previous, chosen),
                    "search " + n + " left s_1..s_K as they were");
            double mean = ((double) (float) chosen[0] + (float) chosen[1] + (float) chosen[2]) / 3;
            assertEquals(
                    (float) mean, (float) search.get("chosen").getAsDouble(), "chosen is the mean");
        }
        double[] last = doubles(expected.get(1).getAsJsonArray("chosen_per_step"));
        boolean apart = false;
        for (JsonObject search : expected) {
            for (var e : search.getAsJsonArray("estimates")) {
                double[] s = stepSizes(e.getAsJsonObject().get("s"), 3);
                apart |= s[0] != s[1] || s[1] != s[2];
            }
        }
        assertTrue(apart, "no estimate moved the steps' sizes apart");
        assertEquals(
                doubles(expected.get(0).getAsJsonArray("chosen_per_step"))[2],
                doubles(expected.get(1).getAsJsonArray("previous_per_step"))[2],
                0);
        for (int k = 0; k < 3; k++) {
            assertEquals((float) last[k], straightSizes[k], "the sampler takes s_" + (k + 1));
        }
        List<String> metrics = Files.readAllLines(straightOut.resolve("metrics.csv"));
        assertEquals(
                Langevin.meanOf(straightSizes),
                Float.parseFloat(metrics.get(4).split(",")[3]),
                1e-6f,
                "step_size is the mean");

        Path out = dir.resolve("resumed");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner =
                        new Learner(
                                MODEL,
                                config(2, 0).toBuilder().optStepSizeTuning(PER_STEP_TUNING).build(),
                                manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertTrue(checkpoint.hasPerStepSizes());
        double[] afterFirst = doubles(expected.get(0).getAsJsonArray("chosen_per_step"));
        for (int k = 0; k < 3; k++) {
            assertEquals(
                    (float) afterFirst[k],
                    checkpoint.getStepSizes()[k],
                    "the checkpoint's s_" + (k + 1));
        }
        assertEquals(PER_STEP_TUNING, checkpoint.getLearningConfig().getStepSizeTuning());
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = checkpoint.restore(fourIterations, manager)) {
            assertArrayEquals(checkpoint.getStepSizes(), learner.getLangevin().getStepSizes());
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(source)
                    .optOutput(out)
                    .build()
                    .run(manager);
            List<float[]> resumed = parameters(learner);
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), resumed.get(i), "parameter " + i);
            }
            assertArrayEquals(straightSizes, learner.getLangevin().getStepSizes());
        }
        List<JsonObject> actual = searches(out);
        assertEquals(2, actual.size());
        for (int n = 0; n < 2; n++) {
            assertEquals(
                    expected.get(n).get("chosen_per_step"), actual.get(n).get("chosen_per_step"));
            assertEquals(expected.get(n).get("estimates"), actual.get(n).get("estimates"));
        }
        // the resumed run may not tune a shared s instead
        LearningConfig shared =
                config(4, 0).toBuilder()
                        .optStepSizeTuning(
                                new StepSizeTuning(
                                        2,
                                        StepSizeTuning.Search.GRADIENT,
                                        List.of(),
                                        2,
                                        1,
                                        2,
                                        0.1,
                                        null))
                        .build();
        assertTrue(
                checkpoint
                        .getLearningConfig()
                        .resumeConflicts(shared)
                        .get(0)
                        .startsWith("step-size tuning: "),
                checkpoint.getLearningConfig().resumeConflicts(shared).toString());
    }

    /** A run may start from per-step sizes of its own; they are part of its settings on resume. */
    @Test
    void aRunStartsFromPerStepSizesAndKeepsThemOnResume(@TempDir Path dir) throws IOException {
        float[] sizes = {0.12f, 0.08f, 0.05f};
        LearningConfig perStep = config(2, 0).toBuilder().optStepSizes(sizes).build();
        assertEquals(Langevin.meanOf(sizes), perStep.getStepSize());
        assertArrayEquals(sizes, perStep.toBuilder().build().getStepSizes());
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, perStep, manager)) {
            assertArrayEquals(sizes, learner.getLangevin().getStepSizes());
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(new ArraySource(10, 3, -1))
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertArrayEquals(sizes, checkpoint.getStepSizes());
        assertArrayEquals(sizes, checkpoint.getLearningConfig().getStepSizes());
        assertEquals(
                List.of(),
                checkpoint
                        .getLearningConfig()
                        .resumeConflicts(config(3, 0).toBuilder().optStepSizes(sizes).build()));
        List<String> conflicts =
                checkpoint
                        .getLearningConfig()
                        .resumeConflicts(
                                config(3, 0).toBuilder()
                                        .optStepSizes(new float[] {0.05f, 0.08f, 0.12f})
                                        .build());
        assertEquals(
                List.of(
                        "per-step sizes: [0.12, 0.08, 0.05] in the checkpoint, [0.05, 0.08, 0.12]"
                                + " asked"),
                conflicts);
        assertEquals(
                "2 per-step sizes for K = 3 Langevin steps",
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        config(2, 0).toBuilder()
                                                .optStepSizes(new float[] {0.1f, 0.1f})
                                                .build())
                        .getMessage());
        assertEquals(
                "step size s_3 must be positive, got -0.1",
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        config(2, 0).toBuilder()
                                                .optStepSizes(new float[] {0.1f, 0.1f, -0.1f})
                                                .build())
                        .getMessage());
    }

    @Test
    void iterationsLeaveNoArraysInTheModelsManager() {
        ArraySource source = new ArraySource(10, 3, -1);
        BatchOrder order = new BatchOrder(10, 4, 1);
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(10, 0), manager)) {
            int[] counts = new int[4];
            for (int i = 0; i < counts.length; i++) {
                try (NDManager scope = manager.newSubManager()) {
                    learner.step(source.batch(scope, order.indices(i)));
                }
                counts[i] = manager.getManagedArrays().size();
            }
            // the first step adds Adam's moments; after that nothing may accumulate
            assertEquals(
                    counts[1],
                    counts[3],
                    "arrays left per iteration: " + java.util.Arrays.toString(counts));
        }
    }

    @Test
    void aFailedRunLeavesTheLastCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        ArraySource failing = new ArraySource(10, 3, 4);
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(6, 2), manager)) {
            TrainingRun run =
                    TrainingRun.builder()
                            .setLearner(learner)
                            .setSource(failing)
                            .optOutput(out)
                            .build();
            assertThrows(IllegalStateException.class, () -> run.run(manager));
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(2, checkpoint.getIteration());
        assertFalse(Files.exists(out.resolve("checkpoint.tmp")));
    }

    @Test
    void aDivergenceSaysWhichCheckpointIsKept(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(6, 2), manager)) {
            TrainingRun run =
                    TrainingRun.builder()
                            .setLearner(learner)
                            .setSource(ArraySource.poisoned(10, 3, 4))
                            .optOutput(out)
                            .build();
            DivergenceException e = assertThrows(DivergenceException.class, () -> run.run(manager));
            assertEquals(
                    "the loss is NaN at iteration 4; stopped; the checkpoint of iteration 2 is"
                            + " kept",
                    e.getMessage());
        }
        assertEquals(2, Checkpoint.read(out).getIteration());
        Path early = dir.resolve("early");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(6, 2), manager)) {
            TrainingRun run =
                    TrainingRun.builder()
                            .setLearner(learner)
                            .setSource(ArraySource.poisoned(10, 3, 1))
                            .optOutput(early)
                            .build();
            DivergenceException e = assertThrows(DivergenceException.class, () -> run.run(manager));
            assertEquals(
                    "the loss is NaN at iteration 1; stopped before any checkpoint was written",
                    e.getMessage());
        }
        assertFalse(Checkpoint.exists(early));
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = Checkpoint.read(out).restore(config(6, 2), manager)) {
            TrainingRun run =
                    TrainingRun.builder()
                            .setLearner(learner)
                            .setSource(ArraySource.poisoned(10, 3, 1))
                            .optOutput(out)
                            .build();
            DivergenceException e = assertThrows(DivergenceException.class, () -> run.run(manager));
            assertEquals(
                    "the loss is NaN at iteration 3; stopped; the checkpoint of iteration 2 is"
                            + " kept",
                    e.getMessage());
        }
    }

    @Test
    void anInterruptedSaveFallsBackToThePreviousCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(1, 0), manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(new ArraySource(10, 3, -1))
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        // the state between the two renames of a save: only checkpoint.prev exists
        Files.move(out.resolve("checkpoint"), out.resolve("checkpoint.prev"));
        assertTrue(Checkpoint.exists(out));
        assertEquals(1, Checkpoint.read(out).getIteration());
    }

    @Test
    void damagedCheckpointsAreRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(1, 0), manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(new ArraySource(10, 3, -1))
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        Path parameters = out.resolve("checkpoint/parameters.bin");
        byte[] bytes = Files.readAllBytes(parameters);
        bytes[bytes.length / 2] ^= 1;
        Files.write(parameters, bytes);
        InputException e = assertThrows(InputException.class, () -> Checkpoint.read(out));
        assertEquals(
                parameters + " is damaged: it does not match the SHA-256 recorded in state.json",
                e.getMessage());

        Path state = out.resolve("checkpoint/state.json");
        Files.writeString(state, "{ not json");
        e = assertThrows(InputException.class, () -> Checkpoint.read(out));
        assertEquals(
                state
                        + " is damaged: its first line is not a shortrun checkpoint state header,"
                        + " or its end is missing (damaged, or an unsealed file of an earlier"
                        + " build)",
                e.getMessage());

        e = assertThrows(InputException.class, () -> Checkpoint.read(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void resumingUnderOtherSettingsIsRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = new Learner(MODEL, config(1, 0), manager)) {
            TrainingRun.builder()
                    .setLearner(learner)
                    .setSource(new ArraySource(10, 3, -1))
                    .optOutput(out)
                    .build()
                    .run(manager);
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        try (NDManager manager = NDManager.newBaseManager()) {
            LearningConfig other = config(2, 0).toBuilder().optSteps(5).build();
            assertThrows(InputException.class, () -> checkpoint.restore(other, manager));
        }
    }
}
