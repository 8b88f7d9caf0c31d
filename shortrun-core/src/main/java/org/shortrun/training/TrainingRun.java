package org.shortrun.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.Gson;
import com.google.gson.JsonParser;

import org.shortrun.stepsize.StepSizeProblem;
import org.shortrun.stepsize.StepSizeSearch;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Runs a learner to its configured number of iterations over an image source: one native-memory
 * scope per iteration, a line of metrics.csv per iteration, and a checkpoint every N iterations
 * and at the end. With {@link StepSizeTuning} it re-optimises s before every T_s-th iteration and
 * logs each search to stepsize.jsonl. An iteration that fails stops the run before any
 * checkpoint is written, so the last good one stays; a resumed run first drops the lines its
 * files hold beyond the checkpoint.
 */
public final class TrainingRun {

    /** Receives progress; every method runs on the training thread. */
    public interface Listener {
        /**
         * Called once before the first iteration.
         *
         * @param from iterations already done
         * @param to iterations at the end
         */
        default void onStart(long from, long to) {}

        /**
         * Called after every iteration.
         *
         * @param stats the iteration's figures
         */
        void onIteration(IterationStats stats);

        /**
         * Called after every step-size search.
         *
         * @param search what was searched and chosen
         */
        default void onStepSizeSearch(StepSizeSearchRecord search) {}
    }

    /**
     * One re-optimisation of s during a run, as logged to stepsize.jsonl.
     *
     * @param iteration iterations done before it
     * @param previous s before
     * @param chosen s after: the search's minimiser, or {@code previous} if it found none
     * @param result the search, with every estimate it made
     * @param seconds how long it took
     */
    public record StepSizeSearchRecord(long iteration, double previous, double chosen, StepSizeSearch.Result result, double seconds) {}

    /** The header of metrics.csv. */
    public static final String METRICS_HEADER = "iteration,loss,train_mse,step_size,sigma,lr,seconds";

    /** The file each step-size search is logged to, one JSON object per line. */
    public static final String STEP_SIZE_LOG = "stepsize.jsonl";

    private static final Gson GSON = new Gson();

    private final Learner learner;
    private final ImageSource source;
    private final Path output;
    private final Listener listener;

    private TrainingRun(Builder builder) {
        learner = builder.learner;
        source = builder.source;
        output = builder.output;
        listener = builder.listener;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains from the learner's current iteration to the configured end.
     *
     * @param manager the manager each iteration's scope is opened under
     * @throws IOException if metrics or checkpoints cannot be written
     */
    public void run(NDManager manager) throws IOException {
        TrainingConfig config = learner.getConfig();
        long end = config.getIterations();
        BatchOrder order = new BatchOrder(source.imageCount(), config.getBatchSize(), config.getSeed());
        long pixels = (long) config.getBatchSize() * source.imageShape().size();
        listener.onStart(learner.getIteration(), end);
        StepSizeTuning tuning = config.getStepSizeTuning();
        if (tuning != null && tuning.examples() > source.imageCount()) {
            throw new IllegalArgumentException(
                    "step-size searches need " + tuning.examples() + " examples but there are " + source.imageCount() + " images");
        }
        long start = System.nanoTime();
        // a run resumed from its own output starts at the checkpoint it was restored from
        Long savedAt = output != null && Checkpoint.exists(output) ? learner.getIteration() : null;
        try (BufferedWriter metrics = output == null ? null : openMetrics();
                BufferedWriter searches = output == null || tuning == null ? null : openStepSizeLog()) {
            while (learner.getIteration() < end) {
                long iteration = learner.getIteration();
                if (tuning != null && tuning.isDue(iteration)) {
                    StepSizeSearchRecord record = searchStepSize(tuning, manager);
                    if (searches != null) {
                        searches.write(toJson(record));
                        searches.newLine();
                        searches.flush();
                    }
                    listener.onStepSizeSearch(record);
                }
                float sigma = learner.currentSigma();
                float lr = learner.currentLearningRate();
                float stepSize = learner.getLangevin().getStepSize();
                float loss;
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = source.batch(scope, order.indices(iteration));
                    loss = learner.step(x);
                } catch (DivergenceException e) {
                    String kept =
                            output == null
                                    ? "stopped"
                                    : savedAt == null
                                            ? "stopped before any checkpoint was written"
                                            : "stopped; the checkpoint of iteration " + savedAt + " is kept";
                    throw new DivergenceException(e.getMessage() + "; " + kept);
                }
                IterationStats stats =
                        new IterationStats(
                                learner.getIteration(), loss, loss / pixels, stepSize, sigma, lr, (System.nanoTime() - start) / 1e9);
                if (metrics != null) {
                    metrics.write(
                            String.format(
                                    Locale.ROOT,
                                    "%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.3f%n",
                                    stats.iteration(), stats.loss(), stats.mse(), stats.stepSize(), stats.sigma(), stats.learningRate(), stats.seconds()));
                    metrics.flush();
                }
                listener.onIteration(stats);
                long every = config.getCheckpointEvery();
                boolean last = learner.getIteration() == end;
                if (output != null && (last || (every > 0 && learner.getIteration() % every == 0))) {
                    Checkpoint.save(learner, output.resolve(Checkpoint.DIRECTORY));
                    savedAt = learner.getIteration();
                }
            }
        }
    }

    /**
     * Re-optimises s on images and chains drawn from (seed, iteration), so that a resumed run
     * makes the same choice as an uninterrupted one.
     */
    private StepSizeSearchRecord searchStepSize(StepSizeTuning tuning, NDManager manager) {
        long iteration = learner.getIteration();
        long t0 = System.nanoTime();
        int seed = Learner.iterationSeed(learner.getConfig().getSeed(), iteration);
        Random random = new Random(seed);
        int[] indices = random.ints(0, source.imageCount()).distinct().limit(tuning.examples()).toArray();
        // the float's shortest decimal, so that 0.05 is logged as 0.05
        double previous = Double.parseDouble(Float.toString(learner.getLangevin().getStepSize()));
        StepSizeSearch.Result result;
        try (NDManager scope = manager.newSubManager()) {
            NDArray batch = source.batch(scope, indices);
            List<NDArray> images = new ArrayList<>();
            for (int i = 0; i < indices.length; i++) {
                images.add(batch.get(i));
            }
            int steps = learner.getConfig().getSteps();
            try (StepSizeProblem problem =
                    new StepSizeProblem(learner.getGenerator(), learner.currentSigma(), images, tuning.chains(), steps, random, scope)) {
                if (tuning.search() == StepSizeTuning.Search.GRID) {
                    double[] grid = tuning.grid().stream().mapToDouble(Double::doubleValue).toArray();
                    result = StepSizeSearch.grid(problem, grid, tuning.selection(), e -> {});
                } else {
                    double[] startS = new double[steps];
                    Arrays.fill(startS, previous);
                    result = StepSizeSearch.gradient(
                            problem, startS, false, tuning.gradientIterations(), tuning.gradientRate(), tuning.selection(), e -> {});
                }
            }
        }
        double chosen = result.best() == null ? previous : result.bestShared();
        learner.setStepSize((float) chosen);
        return new StepSizeSearchRecord(iteration, previous, chosen, result, (System.nanoTime() - t0) / 1e9);
    }

    private static String toJson(StepSizeSearchRecord record) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("iteration", record.iteration());
        line.put("previous", record.previous());
        line.put("chosen", record.chosen());
        line.put("found", record.result().best() != null);
        line.put("seconds", record.seconds());
        List<Map<String, Object>> estimates = new ArrayList<>();
        for (StepSizeProblem.Estimate e : record.result().trace()) {
            estimates.add(e.toMap());
        }
        line.put("estimates", estimates);
        return GSON.toJson(line);
    }

    /** A line cut short by a crash is not kept. */
    private static boolean keeps(Predicate<String> keep, String line) {
        try {
            return keep.test(line);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private BufferedWriter openMetrics() throws IOException {
        Path file = output.resolve("metrics.csv");
        long done = learner.getIteration();
        // a line's iteration counts the iteration it reports, so the checkpoint's last is `done`
        boolean fresh = openLog(file, line -> Long.parseLong(line.substring(0, line.indexOf(','))) <= done);
        BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        if (fresh) {
            writer.write(METRICS_HEADER);
            writer.newLine();
        }
        return writer;
    }

    private BufferedWriter openStepSizeLog() throws IOException {
        Path file = output.resolve(STEP_SIZE_LOG);
        long done = learner.getIteration();
        // the search before iteration `done` ran after the checkpoint; it runs again
        openLog(file, line -> JsonParser.parseString(line).getAsJsonObject().get("iteration").getAsLong() < done);
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /**
     * Prepares an append-only log: a fresh run empties it, a resumed one keeps the lines it
     * accepts (a run that died after its last checkpoint left lines the resumed run rewrites).
     *
     * @return whether the file is now empty
     */
    private boolean openLog(Path file, Predicate<String> keepOnResume) throws IOException {
        Files.createDirectories(output);
        if (learner.getIteration() == 0 || !Files.exists(file)) {
            Files.write(file, new byte[0]);
            return true;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> kept = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("iteration") || (!line.isBlank() && keeps(keepOnResume, line))) {
                kept.add(line);
            }
        }
        Files.write(file, kept, StandardCharsets.UTF_8);
        return kept.isEmpty();
    }

    /** Builds a {@link TrainingRun}. */
    public static final class Builder {
        private Learner learner;
        private ImageSource source;
        private Path output;
        private Listener listener = stats -> {};

        Builder() {}

        /**
         * Sets the learner to train.
         *
         * @param learner the learner
         * @return this builder
         */
        public Builder setLearner(Learner learner) {
            this.learner = learner;
            return this;
        }

        /**
         * Sets the training images.
         *
         * @param source the images
         * @return this builder
         */
        public Builder setSource(ImageSource source) {
            this.source = source;
            return this;
        }

        /**
         * Sets the directory for metrics.csv and checkpoint/ (default: none, nothing written).
         *
         * @param output the directory
         * @return this builder
         */
        public Builder optOutput(Path output) {
            this.output = output;
            return this;
        }

        /**
         * Sets the listener (default: none).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optListener(Listener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Builds the run.
         *
         * @return the run
         */
        public TrainingRun build() {
            if (learner == null || source == null) {
                throw new IllegalArgumentException("a learner and a source are required");
            }
            return new TrainingRun(this);
        }
    }
}
