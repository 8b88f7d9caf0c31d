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
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.shortrun.DivergenceException;
import org.shortrun.ImageSource;
import org.shortrun.InputException;
import org.shortrun.inference.Langevin;
import org.shortrun.method.LangevinLearning;
import org.shortrun.method.LearningMethod;
import org.shortrun.method.Methods;
import org.shortrun.method.ShortRun;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.stepsize.StepSizeTuning;

public class TrainingRunTest {

    public static final LadderConfig MODEL =
            LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();

    public static LearningConfig config(long iterations, long checkpointEvery) {
        return config(iterations, checkpointEvery, shortRun().build());
    }

    /** The settings of {@link #config(long, long)} with another method. */
    public static LearningConfig config(
            long iterations, long checkpointEvery, LearningMethod method) {
        return LearningConfig.builder()
                .setIterations(iterations)
                .optBatchSize(4)
                .optMethod(method)
                .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3)
                .optSeed(11)
                .optCheckpointEvery(checkpointEvery)
                .build();
    }

    /** Short-run inference as {@link #config(long, long)} sets it: K = 3, s = 0.1. */
    static ShortRun.Builder shortRun() {
        return ShortRun.builder().optSteps(3).optStepSize(0.1f);
    }

    /** The settings of {@link #config(long, long)} whose short-run inference tunes s. */
    static LearningConfig tuned(long iterations, StepSizeTuning tuning) {
        return config(iterations, 0, shortRun().optStepSizeTuning(tuning).build());
    }

    /** A learner of a ladder generator of {@link #MODEL}. */
    public static Learner learner(LearningConfig config, NDManager manager) {
        return new Learner(new LadderGenerator(MODEL), config, manager);
    }

    /** A fresh run of a ladder generator of {@link #MODEL}. */
    public static TrainingJob.Builder job(LearningConfig config, ImageSource source) {
        return TrainingJob.builder().setModel(MODEL).setLearning(config).setTrainImages(source);
    }

    /** A run resumed from a checkpoint. */
    public static TrainingJob.Builder resumed(
            Checkpoint checkpoint, LearningConfig config, ImageSource source) {
        return TrainingJob.builder()
                .optResume(checkpoint)
                .setLearning(config)
                .setTrainImages(source);
    }

    private static LangevinLearning langevin(LearningConfig config) {
        return (LangevinLearning) config.getMethod();
    }

    public static List<float[]> parameters(Learner learner) {
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
        TrainingJob.Listener recorder =
                new TrainingJob.Listener() {
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
        try (TrainingJob job =
                job(config(2, 0), new ArraySource(10, 3, -1)).addListener(recorder).build()) {
            job.train();
        }
        assertEquals(List.of("start 0 2", "iteration 1", "iteration 2", "end"), heard);
        heard.clear();
        try (TrainingJob job =
                job(config(4, 0), ArraySource.poisoned(10, 3, 2)).addListener(recorder).build()) {
            assertThrows(DivergenceException.class, job::train);
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
            try (TrainingJob job = job(config(2, 0), new ArraySource(10, 3, -1)).build()) {
                job.train();
            }
            float[] after = manager.randomNormal(new ai.djl.ndarray.types.Shape(8)).toFloatArray();
            assertArrayEquals(before, after);
        }
    }

    /** The same seed gives the same parameters, another seed others. */
    @Test
    void initialParametersFollowTheSeed() {
        try (NDManager manager = NDManager.newBaseManager();
                Learner a = learner(config(1, 0), manager);
                Learner b = learner(config(1, 0), manager);
                Learner c = learner(config(1, 0).toBuilder().optSeed(12).build(), manager)) {
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
        try (TrainingJob job = job(config(4, 0), source).build()) {
            job.train();
            straight = parameters(job.getLearner());
        }
        Path out = dir.resolve("run");
        try (TrainingJob job = job(config(2, 0), source).optOutput(out).build()) {
            job.train();
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(2, checkpoint.getIteration());
        try (TrainingJob job = resumed(checkpoint, config(4, 0), source).optOutput(out).build()) {
            Learner learner = job.getLearner();
            assertEquals(2, learner.getIteration());
            job.train();
            List<float[]> resumed = parameters(learner);
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), resumed.get(i), "parameter " + i);
            }
        }
        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(TrainingJob.METRICS_HEADER, metrics.get(0));
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
        for (String line : Files.readAllLines(out.resolve(TrainingJob.STEP_SIZE_LOG))) {
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
        try (TrainingJob job =
                job(tuned(4, TUNING), source)
                        .optOutput(straightOut)
                        .addListener(recorder)
                        .build()) {
            job.train();
            straight = parameters(job.getLearner());
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
        try (TrainingJob job = job(tuned(2, TUNING), source).optOutput(out).build()) {
            job.train();
        }
        // what a run that died after its checkpoint leaves behind: the resumed run redoes both
        Files.writeString(
                out.resolve(TrainingJob.STEP_SIZE_LOG),
                "{\"iteration\":2,\"chosen\":9}\n{\"iter",
                StandardOpenOption.APPEND);
        Files.writeString(out.resolve("metrics.csv"), "3,1,1,9,1,1,1\n", StandardOpenOption.APPEND);
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(TUNING, langevin(checkpoint.getLearningConfig()).getStepSizeTuning());
        assertEquals(
                (float) expected.get(0).get("chosen").getAsDouble(),
                checkpoint.getLangevin().getStepSize());
        assertEquals(
                0.15f,
                checkpoint.getSigma(),
                "the default constant sigma, as inference takes it from the checkpoint");
        try (TrainingJob job =
                resumed(checkpoint, tuned(4, TUNING), source).optOutput(out).build()) {
            job.train();
            List<float[]> resumed = parameters(job.getLearner());
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
                Checkpoint.read(out).getLangevin().getStepSize());
    }

    @Test
    void gradientSearchStartsFromTheCurrentStepSize(@TempDir Path dir) throws IOException {
        StepSizeTuning gradient =
                new StepSizeTuning(
                        5, StepSizeTuning.Search.GRADIENT, List.of(), 1, 1, 2, 0.1, null);
        Path out = dir.resolve("run");
        try (TrainingJob job =
                job(tuned(1, gradient), new ArraySource(10, 3, -1)).optOutput(out).build()) {
            job.train();
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
        assertEquals((float) argmin, Checkpoint.read(out).getLangevin().getStepSize());
    }

    /** Hears every evaluation of every search, and every search. */
    private static final class SearchRecorder implements TrainingJob.Listener {
        final List<TrainingJob.StepSizeProgress> evaluations = new ArrayList<>();
        final List<TrainingJob.StepSizeSearchRecord> searches = new ArrayList<>();

        @Override
        public void onStepSizeEstimate(TrainingJob.StepSizeProgress progress) {
            evaluations.add(progress);
        }

        @Override
        public void onStepSizeSearch(TrainingJob.StepSizeSearchRecord search) {
            searches.add(search);
        }

        /**
         * Each search's evaluations were reported as they were made: the search's own estimates,
         * numbered, with its size and kind.
         */
        void assertEveryEvaluationWasHeard(String kind, int perSearch) {
            assertEquals(perSearch * searches.size(), evaluations.size());
            for (int i = 0; i < evaluations.size(); i++) {
                TrainingJob.StepSizeProgress p = evaluations.get(i);
                TrainingJob.StepSizeSearchRecord search = searches.get(i / perSearch);
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
        LearningConfig fourIterations = tuned(4, PER_STEP_TUNING);
        Path straightOut = dir.resolve("straight");
        List<float[]> straight;
        float[] straightSizes;
        SearchRecorder recorder = new SearchRecorder();
        try (TrainingJob job =
                job(fourIterations, source).optOutput(straightOut).addListener(recorder).build()) {
            job.train();
            straight = parameters(job.getLearner());
            straightSizes = job.getLearner().getLangevin().getStepSizes();
        }
        List<JsonObject> expected = searches(straightOut);
        assertEquals(2, expected.size(), "searches before iterations 0 and 2");
        recorder.assertEveryEvaluationWasHeard("gradient", 3);
        for (TrainingJob.StepSizeProgress p : recorder.evaluations) {
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
        try (TrainingJob job = job(tuned(2, PER_STEP_TUNING), source).optOutput(out).build()) {
            job.train();
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertFalse(checkpoint.getLangevin().hasSharedStepSize(), "per-step sizes");
        double[] afterFirst = doubles(expected.get(0).getAsJsonArray("chosen_per_step"));
        for (int k = 0; k < 3; k++) {
            assertEquals(
                    (float) afterFirst[k],
                    checkpoint.getLangevin().getStepSizes()[k],
                    "the checkpoint's s_" + (k + 1));
        }
        assertEquals(PER_STEP_TUNING, langevin(checkpoint.getLearningConfig()).getStepSizeTuning());
        try (TrainingJob job = resumed(checkpoint, fourIterations, source).optOutput(out).build()) {
            Learner learner = job.getLearner();
            assertArrayEquals(
                    checkpoint.getLangevin().getStepSizes(), learner.getLangevin().getStepSizes());
            job.train();
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
                tuned(
                        4,
                        new StepSizeTuning(
                                2, StepSizeTuning.Search.GRADIENT, List.of(), 2, 1, 2, 0.1, null));
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
        LearningConfig perStep = config(2, 0, shortRun().optStepSizes(sizes).build());
        assertEquals(Langevin.meanOf(sizes), langevin(perStep).getStepSize());
        assertArrayEquals(sizes, langevin(perStep.toBuilder().build()).getStepSizes());
        Path out = dir.resolve("run");
        try (TrainingJob job = job(perStep, new ArraySource(10, 3, -1)).optOutput(out).build()) {
            assertArrayEquals(sizes, job.getLearner().getLangevin().getStepSizes());
            job.train();
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertArrayEquals(sizes, checkpoint.getLangevin().getStepSizes());
        assertArrayEquals(sizes, langevin(checkpoint.getLearningConfig()).getStepSizes());
        assertEquals(
                List.of(),
                checkpoint
                        .getLearningConfig()
                        .resumeConflicts(config(3, 0, shortRun().optStepSizes(sizes).build())));
        List<String> conflicts =
                checkpoint
                        .getLearningConfig()
                        .resumeConflicts(
                                config(
                                        3,
                                        0,
                                        shortRun()
                                                .optStepSizes(new float[] {0.05f, 0.08f, 0.12f})
                                                .build()));
        assertEquals(
                List.of(
                        "per-step sizes: [0.12, 0.08, 0.05] in the checkpoint, [0.05, 0.08, 0.12]"
                                + " asked"),
                conflicts);
        assertEquals(
                "2 per-step sizes for K = 3 Langevin steps",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> shortRun().optStepSizes(new float[] {0.1f, 0.1f}).build())
                        .getMessage());
        assertEquals(
                "step size s_3 must be positive, got -0.1",
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        shortRun()
                                                .optStepSizes(new float[] {0.1f, 0.1f, -0.1f})
                                                .build())
                        .getMessage());
    }

    @Test
    void iterationsLeaveNoArraysInTheModelsManager() {
        ArraySource source = new ArraySource(10, 3, -1);
        BatchOrder order = new BatchOrder(10, 4, 1);
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = learner(config(10, 0), manager)) {
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

    /**
     * Every method's iteration leaves nothing behind in the learner's manager or any manager below
     * it (the method's blocks, its per-example state), so that a long run's memory stays flat.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"shortrun", "abp", "vae", "lvae", "glo", "lae", "clae"})
    void noMethodsIterationLeavesArraysBehind(String name) {
        ArraySource source = new ArraySource(10, 3, -1);
        BatchOrder order = new BatchOrder(10, 4, 1);
        JsonObject fewSteps = new JsonObject();
        for (String option : new String[] {"steps", "priorSteps"}) {
            if (Methods.optionNames(Methods.published(name)).contains(option)) {
                fewSteps.addProperty(option, 3);
            }
        }
        LearningMethod method = Methods.withOptions(Methods.published(name), fewSteps);
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = learner(config(10, 0, method), manager)) {
            learner.prepareFor(source.imageCount());
            int[] counts = new int[5];
            for (int i = 0; i < counts.length; i++) {
                int[] indices = order.indices(i);
                try (NDManager scope = manager.newSubManager()) {
                    learner.step(source.batch(scope, indices), indices);
                }
                counts[i] = manager.getManagedArrays().size();
            }
            // the first steps add Adam's moments; after that nothing may accumulate
            assertEquals(
                    counts[2],
                    counts[4],
                    name + ": arrays held after each iteration " + Arrays.toString(counts));
        }
    }

    @Test
    void aFailedRunLeavesTheLastCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        ArraySource failing = new ArraySource(10, 3, 4);
        try (TrainingJob job = job(config(6, 2), failing).optOutput(out).build()) {
            assertThrows(IllegalStateException.class, job::train);
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        assertEquals(2, checkpoint.getIteration());
        assertFalse(Files.exists(out.resolve("checkpoint.tmp")));
    }

    @Test
    void aDivergenceSaysWhichCheckpointIsKept(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (TrainingJob job =
                job(config(6, 2), ArraySource.poisoned(10, 3, 4)).optOutput(out).build()) {
            DivergenceException e = assertThrows(DivergenceException.class, job::train);
            assertEquals(
                    "the loss is NaN at iteration 4; stopped; the checkpoint of iteration 2 is"
                            + " kept",
                    e.getMessage());
        }
        assertEquals(2, Checkpoint.read(out).getIteration());
        Path early = dir.resolve("early");
        try (TrainingJob job =
                job(config(6, 2), ArraySource.poisoned(10, 3, 1)).optOutput(early).build()) {
            DivergenceException e = assertThrows(DivergenceException.class, job::train);
            assertEquals(
                    "the loss is NaN at iteration 1; stopped before any checkpoint was written",
                    e.getMessage());
        }
        assertFalse(Checkpoint.exists(early));
        try (TrainingJob job =
                resumed(Checkpoint.read(out), config(6, 2), ArraySource.poisoned(10, 3, 1))
                        .optOutput(out)
                        .build()) {
            DivergenceException e = assertThrows(DivergenceException.class, job::train);
            assertEquals(
                    "the loss is NaN at iteration 3; stopped; the checkpoint of iteration 2 is"
                            + " kept",
                    e.getMessage());
        }
    }

    @Test
    void anInterruptedSaveFallsBackToThePreviousCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (TrainingJob job =
                job(config(1, 0), new ArraySource(10, 3, -1)).optOutput(out).build()) {
            job.train();
        }
        // the state between the two renames of a save: only checkpoint.prev exists
        Files.move(out.resolve("checkpoint"), out.resolve("checkpoint.prev"));
        assertTrue(Checkpoint.exists(out));
        assertEquals(1, Checkpoint.read(out).getIteration());
    }

    @Test
    void damagedCheckpointsAreRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (TrainingJob job =
                job(config(1, 0), new ArraySource(10, 3, -1)).optOutput(out).build()) {
            job.train();
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
        try (TrainingJob job =
                job(config(1, 0), new ArraySource(10, 3, -1)).optOutput(out).build()) {
            job.train();
        }
        Checkpoint checkpoint = Checkpoint.read(out);
        try (NDManager manager = NDManager.newBaseManager()) {
            LearningConfig other = config(2, 0, shortRun().optSteps(5).build());
            assertThrows(InputException.class, () -> checkpoint.restore(other, manager));
        }
    }
}
