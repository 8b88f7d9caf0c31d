package org.shortrun.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Runs a learner to its configured number of iterations over an image source: one native-memory
 * scope per iteration, a line of metrics.csv per iteration, and a checkpoint every N iterations
 * and at the end. An iteration that fails stops the run before any checkpoint is written, so the
 * last good one stays.
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
    }

    /** The header of metrics.csv. */
    public static final String METRICS_HEADER = "iteration,loss,train_mse,step_size,sigma,lr,seconds";

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
        long start = System.nanoTime();
        try (BufferedWriter metrics = output == null ? null : openMetrics()) {
            while (learner.getIteration() < end) {
                long iteration = learner.getIteration();
                float sigma = learner.currentSigma();
                float lr = learner.currentLearningRate();
                float stepSize = learner.getLangevin().getStepSize();
                float loss;
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = source.batch(scope, order.indices(iteration));
                    loss = learner.step(x);
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
                }
            }
        }
    }

    private BufferedWriter openMetrics() throws IOException {
        Files.createDirectories(output);
        Path file = output.resolve("metrics.csv");
        boolean fresh = learner.getIteration() == 0 || !Files.exists(file);
        BufferedWriter writer =
                fresh
                        ? Files.newBufferedWriter(file, StandardCharsets.UTF_8)
                        : Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        if (fresh) {
            writer.write(METRICS_HEADER);
            writer.newLine();
        }
        return writer;
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
