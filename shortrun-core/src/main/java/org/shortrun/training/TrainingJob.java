package org.shortrun.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Consumer;
import org.shortrun.DivergenceException;
import org.shortrun.ImageSource;
import org.shortrun.InputException;
import org.shortrun.engine.EngineCheck;
import org.shortrun.inference.Langevin;
import org.shortrun.method.LangevinLearning;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;
import org.shortrun.stepsize.StepSizeProblem;
import org.shortrun.stepsize.StepSizeSearch;
import org.shortrun.stepsize.StepSizeTuning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training run: the learner, fresh or restored from a checkpoint, trained over an image source to
 * its configured number of iterations, with one native-memory scope per iteration and listeners for
 * everything a run writes. With an output directory it holds the directory's lock ({@link
 * RunDirectory}) from {@link Builder#build} to {@link #close}, refuses a directory that holds
 * another run's checkpoint, writes config.json, a line of metrics.csv per iteration, and a
 * checkpoint every N iterations and at the end. With a Langevin method's {@link StepSizeTuning} it
 * re-optimises s before every T_s-th iteration and logs each search to stepsize.jsonl. An iteration
 * that fails stops the run before any checkpoint is written, so the last good one stays; a resumed
 * run first drops the lines its files hold beyond the checkpoint.
 */
public final class TrainingJob implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(TrainingJob.class);

    /**
     * Hangs on a run as DJL's {@code TrainingListener}s hang on a trainer: everything a run writes
     * (metrics.csv, stepsize.jsonl, checkpoints) is one, and so is a progress bar. Every method
     * runs on the training thread, in the order the listeners were added.
     */
    public interface Listener {
        /**
         * Called once before the first iteration.
         *
         * @param from iterations already done
         * @param to iterations at the end
         * @throws IOException if the listener cannot prepare its output
         */
        default void onStart(long from, long to) throws IOException {}

        /**
         * Called after every iteration.
         *
         * @param stats the iteration's figures
         * @throws IOException if the listener cannot write
         */
        default void onIteration(IterationStats stats) throws IOException {}

        /**
         * Called after every step-size search.
         *
         * @param search what was searched and chosen
         * @throws IOException if the listener cannot write
         */
        default void onStepSizeSearch(StepSizeSearchRecord search) throws IOException {}

        /**
         * Called after every evaluation of the objective during a step-size search, so that a
         * search, which can take minutes, shows its progress.
         *
         * @param progress the evaluation and how far the search has come
         */
        default void onStepSizeEstimate(StepSizeProgress progress) {}

        /**
         * A listener that hears the step-size searches only.
         *
         * @param searches told each search's record
         * @return the listener
         */
        static Listener ofStepSizeSearches(Consumer<StepSizeSearchRecord> searches) {
            return new Listener() {
                @Override
                public void onStepSizeSearch(StepSizeSearchRecord search) {
                    searches.accept(search);
                }
            };
        }

        /**
         * Called once when the run ends, also when it fails.
         *
         * @throws IOException if the listener cannot finish its output
         */
        default void onEnd() throws IOException {}
    }

    /**
     * One evaluation of the objective during a step-size search.
     *
     * @param iteration iterations done before the search
     * @param search {@code grid} or {@code gradient}
     * @param evaluation how many evaluations the search has made, counting this one
     * @param evaluations how many it makes in all: the grid's points, or the gradient steps and the
     *     point they reach
     * @param estimate the evaluation
     * @param seconds seconds since the search started
     */
    public record StepSizeProgress(
            long iteration,
            String search,
            int evaluation,
            int evaluations,
            StepSizeProblem.Estimate estimate,
            double seconds) {}

    /**
     * One re-optimisation of s during a run, as logged to stepsize.jsonl.
     *
     * @param iteration iterations done before it
     * @param previous s before; with per-step sizes, their mean
     * @param chosen s after: the search's minimiser, or {@code previous} if it found none; with
     *     per-step sizes, their mean
     * @param previousStepSizes s_1..s_K before, for a per-step search; null for a shared s
     * @param chosenStepSizes s_1..s_K after, for a per-step search; null for a shared s
     * @param result the search, with every estimate it made
     * @param seconds how long it took
     */
    public record StepSizeSearchRecord(
            long iteration,
            double previous,
            double chosen,
            double[] previousStepSizes,
            double[] chosenStepSizes,
            StepSizeSearch.Result result,
            double seconds) {

        /**
         * A search of one s shared by all steps.
         *
         * @param iteration iterations done before it
         * @param previous s before
         * @param chosen s after
         * @param result the search
         * @param seconds how long it took
         */
        public StepSizeSearchRecord(
                long iteration,
                double previous,
                double chosen,
                StepSizeSearch.Result result,
                double seconds) {
            this(iteration, previous, chosen, null, null, result, seconds);
        }

        /**
         * @return whether the search tuned a size per step
         */
        public boolean isPerStep() {
            return chosenStepSizes != null;
        }

        /**
         * The search in brief, as the command prints it: iteration, previous and chosen s, whether
         * one was found, its objective, the number of evaluations and the seconds.
         *
         * @return JSON-ready entries, the first being {@code "event": "step_size"}
         */
        public java.util.Map<String, Object> toEvent() {
            java.util.Map<String, Object> line = new java.util.LinkedHashMap<>();
            line.put("event", "step_size");
            line.put("iteration", iteration);
            line.put("previous", previous);
            line.put("s", chosen);
            if (isPerStep()) {
                line.put("per_step", chosenStepSizes.clone());
            }
            line.put("found", result.best() != null);
            line.put(
                    "objective",
                    result.bestEstimate() == null ? null : result.bestEstimate().objective());
            line.put("evaluations", result.trace().size());
            line.put("seconds", seconds);
            return line;
        }
    }

    /** The file a line of metrics per iteration goes to. */
    public static final String METRICS_FILE = "metrics.csv";

    /** The header of metrics.csv. */
    public static final String METRICS_HEADER =
            "iteration,loss,train_mse,step_size,sigma,lr,seconds";

    /** The file each step-size search is logged to, one JSON object per line. */
    public static final String STEP_SIZE_LOG = "stepsize.jsonl";

    private final NDManager root;
    private final Learner learner;
    private final boolean resumed;
    private final ImageSource source;
    private final RunDirectory output;
    private final List<Listener> listeners;

    private TrainingJob(Builder b) {
        LearningConfig learning = b.learning;
        if (b.source.imageCount() < learning.getBatchSize()) {
            throw new InputException(
                    "the batch size "
                            + learning.getBatchSize()
                            + " is larger than the "
                            + b.source.imageCount()
                            + " training images");
        }
        StepSizeTuning tuning = tuning(learning);
        if (tuning != null && tuning.examples() > b.source.imageCount()) {
            throw new InputException(
                    "step-size searches need "
                            + tuning.examples()
                            + " examples but there are "
                            + b.source.imageCount()
                            + " images");
        }
        if (b.resume != null) {
            b.resume.requireResumableAs(learning);
        }
        output = b.output == null ? null : RunDirectory.open(b.output, b.resume, b.notes);
        NDManager manager = null;
        Learner made = null;
        try {
            // a null device is the engine's default
            manager = NDManager.newBaseManager(b.device);
            made =
                    b.resume != null
                            ? b.resume.restore(b.generator, learning, manager)
                            : new Learner(b.generator, learning, manager);
            // what a method keeps per example exists from the start, so that a model measured
            // before training (GLO's code search starts from its codes) can be
            made.prepareFor(b.source.imageCount());
            Map<String, Object> record = b.record == null ? new LinkedHashMap<>() : b.record;
            if (b.engineCheck != null) {
                EngineCheck.Report check = EngineCheck.require(b.generator, manager);
                b.engineCheck.accept(check);
                record = new LinkedHashMap<>(record);
                check.addTo(record);
            }
            if (output != null) {
                output.writeConfig(b.generator, learning, record);
            }
        } catch (RuntimeException e) {
            if (made != null) {
                made.close();
            }
            if (manager != null) {
                manager.close();
            }
            closeQuietly(output, e);
            throw e;
        }
        root = manager;
        learner = made;
        resumed = b.resume != null;
        source = b.source;
        listeners = List.copyOf(b.listeners);
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
     * @return the learner: the generator, the method's state and the optimiser
     */
    public Learner getLearner() {
        return learner;
    }

    /**
     * @return whether the learner was restored from a checkpoint
     */
    public boolean isResumed() {
        return resumed;
    }

    /**
     * @return the run directory, or null if the run writes nothing
     */
    public Path getOutput() {
        return output == null ? null : output.getPath();
    }

    /**
     * @return the manager the learner and every iteration's scope live under
     */
    public NDManager getManager() {
        return root;
    }

    /**
     * The run in one line for a person: the generator, its size, the data and the iterations.
     *
     * @return e.g. "z-dims [16, 32, 64], channels 16, ...; 1617585 parameters; embedded MNIST test
     *     set, 9000 training images; iterations 0 to 300"
     */
    public String describe() {
        LearningConfig config = learner.getConfig();
        return learner.getGenerator()
                + "; "
                + learner.getGenerator().countParameters()
                + " parameters; "
                + (config.getData() != null ? config.getData() + ", " : "")
                + source.imageCount()
                + " training images; iterations "
                + learner.getIteration()
                + " to "
                + config.getIterations();
    }

    private static StepSizeTuning tuning(LearningConfig config) {
        return config.getMethod() instanceof LangevinLearning langevin
                ? langevin.getStepSizeTuning()
                : null;
    }

    /**
     * Trains from the learner's current iteration to the configured end.
     *
     * @throws IOException if metrics or checkpoints cannot be written
     * @throws DivergenceException if an iteration's loss or update is not finite; the last
     *     checkpoint is kept
     */
    public void train() throws IOException {
        NDManager manager = root;
        Path output = getOutput();
        LearningConfig config = learner.getConfig();
        long end = config.getIterations();
        BatchOrder order =
                new BatchOrder(source.imageCount(), config.getBatchSize(), config.getSeed());
        long pixels = (long) config.getBatchSize() * source.imageShape().size();
        StepSizeTuning tuning = tuning(config);
        List<Listener> all = new ArrayList<>();
        CheckpointSaver checkpoints = null;
        if (output != null) {
            all.add(new MetricsLog(output, learner.getIteration()));
            if (tuning != null) {
                all.add(new StepSizeLog(output, learner.getIteration()));
            }
        }
        all.addAll(listeners);
        if (output != null) {
            checkpoints = new CheckpointSaver(learner, output, end);
            all.add(checkpoints);
        }
        long start = System.nanoTime();
        Throwable failure = null;
        try {
            for (Listener l : all) {
                l.onStart(learner.getIteration(), end);
            }
            while (learner.getIteration() < end) {
                long iteration = learner.getIteration();
                if (tuning != null && tuning.isDue(iteration)) {
                    StepSizeSearchRecord record = searchStepSize(tuning, manager, all);
                    for (Listener l : all) {
                        l.onStepSizeSearch(record);
                    }
                }
                float sigma = learner.currentSigma();
                float lr = learner.currentLearningRate();
                float stepSize = learner.getStepSize();
                float loss;
                try (NDManager scope = manager.newSubManager()) {
                    int[] indices = order.indices(iteration);
                    loss = learner.step(source.batch(scope, indices), indices);
                } catch (DivergenceException e) {
                    String kept =
                            checkpoints == null
                                    ? "stopped"
                                    : checkpoints.savedAt() == null
                                            ? "stopped before any checkpoint was written"
                                            : "stopped; the checkpoint of iteration "
                                                    + checkpoints.savedAt()
                                                    + " is kept";
                    throw new DivergenceException(e.getMessage() + "; " + kept);
                }
                IterationStats stats =
                        new IterationStats(
                                learner.getIteration(),
                                loss,
                                learner.getLastSquaredError() / pixels,
                                stepSize,
                                sigma,
                                lr,
                                (System.nanoTime() - start) / 1e9);
                for (Listener l : all) {
                    l.onIteration(stats);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            for (Listener l : all) {
                try {
                    l.onEnd();
                } catch (IOException | RuntimeException e) {
                    if (failure == null) {
                        throw e;
                    }
                    failure.addSuppressed(e);
                }
            }
        }
    }

    /** Releases the learner, its native memory and the run directory's lock. */
    @Override
    public void close() throws IOException {
        try {
            learner.close();
            root.close();
        } finally {
            if (output != null) {
                output.close();
            }
        }
    }

    private static void closeQuietly(RunDirectory directory, RuntimeException failure) {
        if (directory == null) {
            return;
        }
        try {
            directory.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Re-optimises s, or with per-step tuning s_1..s_K from their current values, on images and
     * chains drawn from (seed, iteration), so that a resumed run makes the same choice as an
     * uninterrupted one; every listener hears each evaluation.
     */
    private StepSizeSearchRecord searchStepSize(
            StepSizeTuning tuning, NDManager manager, List<Listener> listeners) {
        long iteration = learner.getIteration();
        long t0 = System.nanoTime();
        int seed = Learner.iterationSeed(learner.getConfig().getSeed(), iteration);
        Random random = new Random(seed);
        int[] indices =
                random.ints(0, source.imageCount()).distinct().limit(tuning.examples()).toArray();
        float[] current = learner.getLangevin().getStepSizes();
        double previous = decimal(Langevin.meanOf(current));
        double[] previousStepSizes = new double[current.length];
        for (int k = 0; k < current.length; k++) {
            previousStepSizes[k] = decimal(current[k]);
        }
        boolean onGrid = tuning.search() == StepSizeTuning.Search.GRID;
        String search = onGrid ? "grid" : "gradient";
        int evaluations = onGrid ? tuning.grid().size() : tuning.gradientIterations() + 1;
        int[] evaluated = {0};
        Consumer<StepSizeProblem.Estimate> progress =
                e -> {
                    StepSizeProgress p =
                            new StepSizeProgress(
                                    iteration,
                                    search,
                                    ++evaluated[0],
                                    evaluations,
                                    e,
                                    (System.nanoTime() - t0) / 1e9);
                    for (Listener l : listeners) {
                        l.onStepSizeEstimate(p);
                    }
                };
        StepSizeSearch.Result result;
        try (NDManager scope = manager.newSubManager()) {
            NDArray batch = source.batch(scope, indices);
            List<NDArray> images = new ArrayList<>();
            for (int i = 0; i < indices.length; i++) {
                images.add(batch.get(i));
            }
            int steps = learner.getLangevin().getSteps();
            try (StepSizeProblem problem =
                    new StepSizeProblem(
                            learner.getGenerator(),
                            learner.currentSigma(),
                            images,
                            tuning.chains(),
                            steps,
                            random,
                            tuning.logDeterminant(),
                            scope)) {
                if (onGrid) {
                    double[] grid =
                            tuning.grid().stream().mapToDouble(Double::doubleValue).toArray();
                    result = StepSizeSearch.grid(problem, grid, tuning.selection(), progress);
                } else {
                    double[] startS = new double[steps];
                    if (tuning.perStep()) {
                        startS = previousStepSizes.clone();
                    } else {
                        Arrays.fill(startS, previous);
                    }
                    result =
                            StepSizeSearch.gradient(
                                    problem,
                                    startS,
                                    tuning.perStep(),
                                    tuning.gradientIterations(),
                                    tuning.gradientRate(),
                                    tuning.selection(),
                                    progress);
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!tuning.perStep()) {
            double chosen = result.best() == null ? previous : result.bestShared();
            learner.getMethodState()
                    .setLangevin(learner.getLangevin().withStepSize((float) chosen));
            return new StepSizeSearchRecord(iteration, previous, chosen, result, seconds);
        }
        float[] chosen = current;
        if (result.best() != null) {
            chosen = new float[current.length];
            for (int k = 0; k < chosen.length; k++) {
                chosen[k] = (float) result.best()[k];
            }
        }
        learner.getMethodState().setLangevin(learner.getLangevin().withStepSizes(chosen));
        double[] chosenStepSizes = new double[chosen.length];
        for (int k = 0; k < chosen.length; k++) {
            chosenStepSizes[k] = decimal(chosen[k]);
        }
        return new StepSizeSearchRecord(
                iteration,
                previous,
                decimal(Langevin.meanOf(chosen)),
                previousStepSizes,
                chosenStepSizes,
                result,
                seconds);
    }

    /** A float's shortest decimal, so that 0.05f is logged as 0.05. */
    private static double decimal(float value) {
        return Double.parseDouble(Float.toString(value));
    }

    /** Builds a {@link TrainingJob}. */
    public static final class Builder {
        private LatentGenerator generator;
        private LearningConfig learning;
        private ImageSource source;
        private Checkpoint resume;
        private Path output;
        private Map<String, Object> record;
        private Consumer<EngineCheck.Report> engineCheck;
        private Consumer<String> notes = note -> LOGGER.warn(note);
        private Device device;
        private final List<Listener> listeners = new ArrayList<>();

        Builder() {}

        /**
         * Sets the generator to learn, uninitialised: the run initialises it, or loads a resumed
         * checkpoint's parameters into it.
         *
         * @param generator the generator
         * @return this builder
         */
        public Builder setGenerator(LatentGenerator generator) {
            this.generator = generator;
            return this;
        }

        /**
         * Sets a ladder generator of this architecture to learn.
         *
         * @param model the architecture
         * @return this builder
         */
        public Builder setModel(LadderConfig model) {
            return setGenerator(new LadderGenerator(model));
        }

        /**
         * Sets the training settings, the method's included.
         *
         * @param learning the settings
         * @return this builder
         */
        public Builder setLearning(LearningConfig learning) {
            this.learning = learning;
            return this;
        }

        /**
         * Sets the training images.
         *
         * @param source the images
         * @return this builder
         */
        public Builder setTrainImages(ImageSource source) {
            this.source = source;
            return this;
        }

        /**
         * Continues a checkpoint instead of starting afresh (default: a fresh run); its generator
         * is the one set, or for a ladder checkpoint a new one of its architecture.
         *
         * @param resume the checkpoint, of the same settings but the length and the checkpoint
         *     interval
         * @return this builder
         */
        public Builder optResume(Checkpoint resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Sets the run directory, for config.json, metrics.csv, stepsize.jsonl and checkpoint/
         * (default: none, nothing written). The run holds its lock while it lasts.
         *
         * @param output the directory; created if missing
         * @return this builder
         */
        public Builder optOutput(Path output) {
            this.output = output;
            return this;
        }

        /**
         * Adds entries to config.json beside the settings: what the caller records of the run (the
         * data, versions, a command line).
         *
         * @param record the entries, written in their order
         * @return this builder
         */
        public Builder optRecord(Map<String, Object> record) {
            this.record = record;
            return this;
        }

        /**
         * Checks the engine's float32 gradients against float64 at the generator's shapes ({@link
         * EngineCheck}) once the settings, the images and the run directory have been accepted,
         * before anything is written; a check that passed is recorded in config.json and handed to
         * {@code passed} (default: no check).
         *
         * @param passed who hears of a check that passed
         * @return this builder
         */
        public Builder optEngineCheck(Consumer<EngineCheck.Report> passed) {
            this.engineCheck = passed;
            return this;
        }

        /**
         * Sets who hears the notes a person should read: a stale lock taken over, a run continued
         * in another directory (default: the log, as warnings).
         *
         * @param notes the receiver
         * @return this builder
         */
        public Builder optNotes(Consumer<String> notes) {
            this.notes = Objects.requireNonNull(notes, "notes");
            return this;
        }

        /**
         * Sets the device every parameter and array of the run lives on (default: the engine's
         * default device).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Adds a listener, after those this run adds itself for its output (metrics.csv and
         * stepsize.jsonl before, checkpoints after).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder addListener(Listener listener) {
            listeners.add(listener);
            return this;
        }

        /**
         * Builds the run: checks the settings, takes the run directory's lock, writes config.json
         * and makes or restores the learner.
         *
         * @return the run, to be closed
         * @throws InputException if the settings cannot train on the images, the checkpoint is of
         *     other settings, or the directory may not be written
         */
        public TrainingJob build() {
            if (learning == null || source == null) {
                throw new IllegalArgumentException(
                        "training settings and training images are required");
            }
            if (generator == null) {
                if (resume == null) {
                    throw new IllegalArgumentException("a generator (or a model) is required");
                }
                generator = resume.newGenerator();
            }
            return new TrainingJob(this);
        }
    }
}
