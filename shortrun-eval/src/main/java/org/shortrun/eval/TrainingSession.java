package org.shortrun.eval;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ImageSource;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingRun;

/**
 * One training session, as {@code train}, {@code demo} and every cell of a {@code table} job run
 * it: a new learner or one restored from a checkpoint of the same settings, trained to the
 * configured end with the run's files and the caller's listeners, then measured and drawn with
 * draws seeded by the run's seed, so that the figures depend on the model only.
 *
 * <pre>
 * try (TrainingSession session = TrainingSession.builder().setModel(model).setLearning(learning)
 *         .setTrainImages(train).optOutput(dir).build()) {
 *     session.train();
 *     double mse = session.reconstructionError(test, 500).mse();
 * }
 * </pre>
 */
public final class TrainingSession implements AutoCloseable {

    private final NDManager root;
    private final Learner learner;
    private final boolean resumed;
    private final ImageSource train;
    private final Path output;
    private final List<TrainingRun.Listener> listeners;

    private TrainingSession(Builder b) {
        if (b.resume != null
                && (!b.resume.getModelConfig().equals(b.model)
                        || !b.resume.getLearningConfig().isResumableAs(b.learning))) {
            throw new InputException(
                    "checkpoint " + b.resume.getDirectory() + " holds a run of other settings");
        }
        if (b.train.imageCount() < b.learning.getBatchSize()) {
            throw new InputException(
                    "the batch size "
                            + b.learning.getBatchSize()
                            + " is larger than the "
                            + b.train.imageCount()
                            + " training images");
        }
        root = NDManager.newBaseManager();
        try {
            learner =
                    b.resume != null
                            ? b.resume.restore(b.learning, root)
                            : new Learner(b.model, b.learning, root);
            // the persistent latents exist from the start, so that a method measured before
            // training (GLO's code search starts from them) can be
            learner.prepareFor(b.train.imageCount());
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
        resumed = b.resume != null;
        train = b.train;
        output = b.output;
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
     * Returns the learner: its generator, parameters, sampler and iteration.
     *
     * @return the learner
     */
    public Learner learner() {
        return learner;
    }

    /**
     * Whether the session continues a checkpoint.
     *
     * @return true if it was restored
     */
    public boolean isResumed() {
        return resumed;
    }

    /**
     * Trains from the learner's iteration to the configured end.
     *
     * @throws IOException if the run's files cannot be written
     */
    public void train() throws IOException {
        TrainingRun.Builder run =
                TrainingRun.builder().setLearner(learner).setSource(train).optOutput(output);
        listeners.forEach(run::addListener);
        run.build().run(root);
    }

    /**
     * The reconstruction error of the first images of a test set, by the method's own inference
     * ({@link Learner#inferLatents}: for short-run inference at the learner's K, s and current
     * sigma), with its draws seeded by the run's seed.
     *
     * @param test the images
     * @param count how many, from the first
     * @return the error
     */
    public Reconstruction.Error reconstructionError(ImageSource test, int count) {
        return Reconstruction.measure(
                learner.getGenerator(),
                learner.getParameterStore(),
                learner::inferLatents,
                test,
                count,
                100,
                root,
                seeded(),
                null);
    }

    /**
     * Writes prior samples ({@link Learner#drawLatents}) as a PNG grid of 8 columns.
     *
     * @param count how many
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public void writeSamples(int count, Path png) throws IOException {
        try (NDManager scope = root.newSubManager()) {
            NDList latents = learner.drawLatents(scope, count, seeded());
            ImageGrid.write(
                    learner.getGenerator()
                            .forward(learner.getParameterStore(), latents, false)
                            .singletonOrThrow(),
                    8,
                    png);
        }
    }

    /**
     * Writes 16 test images above their reconstructions as a PNG.
     *
     * @param test the images
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public void writeReconstructions(ImageSource test, Path png) throws IOException {
        Reconstruction.writeComparison(
                learner.getGenerator(),
                learner.getParameterStore(),
                learner::inferLatents,
                test,
                16,
                root,
                png,
                seeded());
    }

    /** The same draws at every measurement, so two figures differ only by the model. */
    private RandomStream seeded() {
        return RandomStream.seeded(learner.getConfig().getSeed());
    }

    /**
     * Returns the manager the session's arrays live under, for further evaluation.
     *
     * @return the manager, closed with the session
     */
    public NDManager getManager() {
        return root;
    }

    /** Releases the learner and every array of the session. */
    @Override
    public void close() {
        learner.close();
        root.close();
    }

    /** Builds a {@link TrainingSession}. */
    public static final class Builder {
        private LadderConfig model;
        private LearningConfig learning;
        private ImageSource train;
        private Checkpoint resume;
        private Path output;
        private final List<TrainingRun.Listener> listeners = new ArrayList<>();

        Builder() {}

        /**
         * Sets the architecture.
         *
         * @param model the model's configuration
         * @return this builder
         */
        public Builder setModel(LadderConfig model) {
            this.model = model;
            return this;
        }

        /**
         * Sets the learning settings.
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
         * @param train the images
         * @return this builder
         */
        public Builder setTrainImages(ImageSource train) {
            this.train = train;
            return this;
        }

        /**
         * Continues a checkpoint of the same model and settings (default: a new run).
         *
         * @param resume the checkpoint, or null
         * @return this builder
         */
        public Builder optResume(Checkpoint resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Sets the directory for metrics.csv, stepsize.jsonl and checkpoint/ (default: none).
         *
         * @param output the directory, or null
         * @return this builder
         */
        public Builder optOutput(Path output) {
            this.output = output;
            return this;
        }

        /**
         * Adds a listener to the run, after those of its files.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder addListener(TrainingRun.Listener listener) {
            listeners.add(listener);
            return this;
        }

        /**
         * Makes the learner, new or restored.
         *
         * @return the session; close it
         * @throws InputException if the checkpoint is of other settings or the batch is larger than
         *     the training set
         */
        public TrainingSession build() {
            if (model == null || learning == null || train == null) {
                throw new IllegalArgumentException(
                        "a model, learning settings and training images are required");
            }
            return new TrainingSession(this);
        }
    }
}
