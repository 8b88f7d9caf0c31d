package org.shortrun.eval;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.shortrun.ImageSource;
import org.shortrun.RandomStream;
import org.shortrun.eval.plot.RunPlots;
import org.shortrun.method.LatentModel;
import org.shortrun.training.Learner;
import org.shortrun.training.TrainingJob;

/**
 * What a training run reports besides its metrics, as {@code shortrun train} and {@code demo} have
 * it: the test reconstruction error before (if asked) and after training as JSON lines, the run's
 * plots (loss.png and the step-size plots, drawn even when training stopped early), and samples.png
 * and reconstructions.png in the run directory.
 *
 * <pre>
 * try (TrainingJob job = TrainingJob.builder()...optOutput(dir).build()) {
 *     TrainingReport.builder().setTestImages(test).build().train(job);
 * }
 * </pre>
 */
public final class TrainingReport {

    /** The samples the run directory's samples.png holds. */
    public static final int SAMPLES = 64;

    private final ImageSource test;
    private final int evalImages;
    private final boolean evaluateAtStart;
    private final Consumer<Map<String, Object>> lines;
    private final Consumer<String> warnings;

    private TrainingReport(Builder b) {
        test = b.test;
        evalImages = b.evalImages;
        evaluateAtStart = b.evaluateAtStart;
        lines = b.lines;
        warnings = b.warnings;
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
     * Trains a job and reports on it.
     *
     * @param job the run, built with its output directory (or without, to report the errors only)
     * @throws IOException if a file cannot be written
     */
    public void train(TrainingJob job) throws IOException {
        if (evaluateAtStart) {
            lines.accept(testError("start", job));
        }
        Path out = job.getOutput();
        try {
            job.train();
        } finally {
            if (out != null) {
                // what was logged so far is drawn even if training stopped early; a plot that
                // cannot be drawn must not hide why training stopped, nor stop a finished run
                RunPlots.draw(out).forEach(warnings);
            }
        }
        if (out != null) {
            writePictures(job.getLearner(), job.getManager(), out);
        }
        lines.accept(testError("end", job));
    }

    /**
     * The test reconstruction error of a run's model now, as a JSON line.
     *
     * @param when {@code "start"} or {@code "end"}
     * @param job the run
     * @return the line: event, when, iteration, images, mse, mse01
     */
    public Map<String, Object> testError(String when, TrainingJob job) {
        Learner learner = job.getLearner();
        Reconstruction.Error error = Reconstruction.of(learner, test, evalImages, job.getManager());
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "test_reconstruction");
        line.put("when", when);
        line.put("iteration", learner.getIteration());
        line.put("images", error.images());
        line.put("mse", error.mse());
        line.put("mse01", error.mse01());
        return line;
    }

    /**
     * Writes samples.png (samples from the model's prior) and reconstructions.png (test images
     * above their reconstructions), drawn from the run's seed.
     *
     * @param learner the learner
     * @param manager the manager to work under
     * @param directory where they go
     * @throws IOException if a picture cannot be written
     */
    public void writePictures(Learner learner, NDManager manager, Path directory)
            throws IOException {
        long seed = learner.getConfig().getSeed();
        LatentModel model = learner.getModel();
        try (NDManager scope = manager.newSubManager()) {
            ImageGrid.write(
                    model.generate(model.drawLatents(scope, SAMPLES, RandomStream.seeded(seed))),
                    8,
                    directory.resolve("samples.png"));
        }
        Reconstruction.writeComparison(
                learner.getGenerator(),
                learner.getParameterStore(),
                learner::inferLatents,
                test,
                Reconstruction.COMPARISON_IMAGES,
                manager,
                directory.resolve("reconstructions.png"),
                RandomStream.seeded(seed));
    }

    /** Builds a {@link TrainingReport}. */
    public static final class Builder {
        private ImageSource test;
        private int evalImages = 500;
        private boolean evaluateAtStart;
        private Consumer<Map<String, Object>> lines = line -> {};
        private Consumer<String> warnings = warning -> {};

        Builder() {}

        /**
         * Sets the held-out images the reconstruction error is measured on.
         *
         * @param test the images
         * @return this builder
         */
        public Builder setTestImages(ImageSource test) {
            this.test = test;
            return this;
        }

        /**
         * Sets how many test images the error is measured on, from the first (default 500).
         *
         * @param count the images
         * @return this builder
         */
        public Builder optEvalImages(int count) {
            this.evalImages = count;
            return this;
        }

        /**
         * Also measures the error before training (default: after only).
         *
         * @param evaluateAtStart whether to
         * @return this builder
         */
        public Builder optEvaluateAtStart(boolean evaluateAtStart) {
            this.evaluateAtStart = evaluateAtStart;
            return this;
        }

        /**
         * Sets who hears the report's JSON lines (default: nobody).
         *
         * @param lines the receiver
         * @return this builder
         */
        public Builder optLines(Consumer<Map<String, Object>> lines) {
            this.lines = lines;
            return this;
        }

        /**
         * Sets who hears why a plot could not be drawn (default: nobody).
         *
         * @param warnings the receiver
         * @return this builder
         */
        public Builder optWarnings(Consumer<String> warnings) {
            this.warnings = warnings;
            return this;
        }

        /**
         * Builds the report.
         *
         * @return the report
         * @throws IllegalArgumentException without test images, or with a count below 1
         */
        public TrainingReport build() {
            if (test == null || evalImages <= 0) {
                throw new IllegalArgumentException("test images and a positive count are needed");
            }
            return new TrainingReport(this);
        }
    }
}
