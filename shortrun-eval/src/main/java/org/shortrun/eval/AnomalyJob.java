package org.shortrun.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Progress;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.shortrun.ImageSource;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.data.ImageDataset;
import org.shortrun.engine.EngineCheck;
import org.shortrun.eval.plot.RocPlot;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.io.WriteFailure;
import org.shortrun.method.LatentModel;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Latents;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.RunDirectory;
import org.shortrun.training.TrainingJob;

/**
 * One-class anomaly detection, the Langevin autoencoders paper's experiment: a model trained on the
 * images of one class scores each test image by the energy of its inferred latent, {@code U(x, e) =
 * ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 / 2 (+ E(e) for CLAE)} ({@link PosteriorEnergy}), the
 * latent inferred by the model's own method (one encoder pass for LAE and CLAE, K Langevin steps
 * from noise for short-run inference); the AUROC measures how well the score separates the other
 * classes from the normal one.
 *
 * <pre>
 * AnomalyJob.Report r = AnomalyJob.builder().setGenerator(generator).setLearning(learning)
 *         .setNormalClass(3).setTrainImages(train).setTestImages(test).optOutput(dir)
 *         .build().run();
 * double auroc = r.auroc();
 * </pre>
 */
public final class AnomalyJob {

    /** The per-image scores, written to an anomaly run's directory. */
    public static final String SCORES_FILE = "scores.csv";

    private final LatentGenerator generator;
    private final LearningConfig learning;
    private final int normalClass;
    private final ImageDataset train;
    private final ImageDataset test;
    private final Checkpoint checkpoint;
    private final Path output;
    private final int testCount;
    private final int batchSize;
    private final TrainingJob.Listener listener;
    private final Map<String, Object> record;
    private final Consumer<EngineCheck.Report> engineCheck;
    private final Device device;
    private final Progress progress;
    private final boolean[] anomalous;
    private final int normalCount;
    private final ImageDataset normalImages;

    private AnomalyJob(Builder b) {
        generator = b.generator;
        learning = b.learning;
        normalClass = b.normalClass;
        train = b.train;
        test = b.test;
        checkpoint = b.checkpoint;
        output = b.output;
        testCount = b.testCount;
        batchSize = b.batchSize;
        listener = b.listener;
        record = b.record;
        engineCheck = b.engineCheck;
        device = b.device;
        progress = b.progress;
        int count = testCount > 0 ? Math.min(testCount, test.imageCount()) : test.imageCount();
        anomalous = new boolean[count];
        int normal = 0;
        for (int i = 0; i < count; i++) {
            anomalous[i] = test.label(i) != normalClass;
            normal += anomalous[i] ? 0 : 1;
        }
        if (normal == 0 || normal == count) {
            throw new InputException(
                    "the first "
                            + count
                            + " test images hold "
                            + (normal == 0
                                    ? "no image of class " + normalClass
                                    : "only images of class " + normalClass)
                            + "; the AUROC needs both");
        }
        normalCount = normal;
        if (checkpoint == null) {
            normalImages = train.withLabel(normalClass);
            if (normalImages.imageCount() < learning.getBatchSize()) {
                throw new InputException(
                        "class "
                                + normalClass
                                + " has "
                                + normalImages.imageCount()
                                + " training images, fewer than the batch size "
                                + learning.getBatchSize());
            }
        } else {
            normalImages = null;
        }
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
     * What a one-class task measured.
     *
     * @param method the model's method
     * @param normalClass the class trained on, normal at test time
     * @param auroc the area under the ROC curve, anomalies the positives, higher scores flagged
     * @param testImages the test images scored
     * @param normalImages how many of them are of the normal class
     * @param iteration the model's training iterations
     * @param trainImages the training images of the normal class (0 when a checkpoint was given)
     * @param trainSeconds the time training took; 0 when a checkpoint was given
     * @param inferenceMillisPerImage the time inferring a latent and scoring took, per test image
     * @param meanNormalScore the mean score of normal images
     * @param meanAnomalousScore the mean score of anomalies
     * @param output the run directory, or null
     */
    public record Report(
            String method,
            int normalClass,
            double auroc,
            int testImages,
            int normalImages,
            long iteration,
            int trainImages,
            double trainSeconds,
            double inferenceMillisPerImage,
            double meanNormalScore,
            double meanAnomalousScore,
            Path output) {

        /**
         * The JSON line {@code shortrun anomaly} prints.
         *
         * @return the line's keys and values, in order
         */
        public Map<String, Object> toMap() {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("auroc", auroc);
            line.put("method", method);
            line.put("normal_class", normalClass);
            line.put("test_images", testImages);
            line.put("normal_images", normalImages);
            line.put("iteration", iteration);
            line.put("train_images", trainImages);
            line.put("train_seconds", trainSeconds);
            line.put("inference_ms_per_image", inferenceMillisPerImage);
            line.put("mean_normal_score", meanNormalScore);
            line.put("mean_anomalous_score", meanAnomalousScore);
            if (output != null) {
                line.put("out", output.toString());
            }
            return line;
        }
    }

    /**
     * Trains on the normal class (or restores the checkpoint), scores the test images and measures
     * the AUROC; with an output directory, also writes the training run's files, {@value
     * #SCORES_FILE} and {@value RocPlot#FILE}.
     *
     * @return the report
     * @throws IOException if a file cannot be written
     */
    public Report run() throws IOException {
        if (checkpoint != null) {
            try (RunDirectory directory =
                            output == null ? null : RunDirectory.open(output, null, notes());
                    NDManager manager = NDManager.newBaseManager(device)) {
                if (engineCheck != null) {
                    engineCheck.accept(
                            EngineCheck.require(
                                    generator != null ? generator : checkpoint.newGenerator(),
                                    manager));
                }
                LatentModel model =
                        generator != null
                                ? checkpoint.loadModel(generator, manager)
                                : checkpoint.loadModel(manager);
                return measure(
                        model,
                        checkpoint.getSigma(),
                        checkpoint.getIteration(),
                        checkpoint.getLearningConfig().getSeed(),
                        0,
                        0);
            }
        }
        TrainingJob.Builder training =
                TrainingJob.builder()
                        .setGenerator(generator)
                        .setLearning(learning)
                        .setTrainImages(normalImages)
                        .optOutput(output)
                        .optRecord(record)
                        .optEngineCheck(engineCheck)
                        .optDevice(device)
                        .optNotes(notes());
        if (listener != null) {
            training.addListener(listener);
        }
        try (TrainingJob job = training.build()) {
            long start = System.nanoTime();
            job.train();
            Learner learner = job.getLearner();
            return measure(
                    learner.getModel(),
                    learner.currentSigma(),
                    learner.getIteration(),
                    learner.getConfig().getSeed(),
                    (System.nanoTime() - start) / 1e9,
                    normalImages.imageCount());
        }
    }

    private static Consumer<String> notes() {
        return note -> System.err.println("shortrun: note: " + note);
    }

    /** Scores the test images with a trained model, and writes and reports what came of it. */
    private Report measure(
            LatentModel model,
            float sigma,
            long iteration,
            long seed,
            double trainSeconds,
            int trainImages)
            throws IOException {
        int count = anomalous.length;
        int normal = normalCount;
        String method = model.getMethod().getName();
        long start = System.nanoTime();
        double[] scores =
                scores(model, sigma, test, count, batchSize, RandomStream.seeded(seed), progress);
        double inferenceSeconds = (System.nanoTime() - start) / 1e9;
        double auroc = Roc.auroc(scores, anomalous);
        double normalSum = 0;
        double anomalousSum = 0;
        for (int i = 0; i < count; i++) {
            if (anomalous[i]) {
                anomalousSum += scores[i];
            } else {
                normalSum += scores[i];
            }
        }
        if (output != null) {
            writeScores(output.resolve(SCORES_FILE), scores, anomalous);
            RocPlot.write(
                    scores,
                    anomalous,
                    method + ", class " + normalClass + " normal",
                    output.resolve(RocPlot.FILE));
        }
        return new Report(
                method,
                normalClass,
                auroc,
                count,
                normal,
                iteration,
                trainImages,
                trainSeconds,
                inferenceSeconds * 1000 / count,
                normalSum / normal,
                anomalousSum / (count - normal),
                output);
    }

    private void writeScores(Path file, double[] scores, boolean[] anomalous) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("index,label,anomalous,score\n");
            for (int i = 0; i < scores.length; i++) {
                out.write(i + "," + test.label(i) + "," + anomalous[i] + "," + scores[i] + "\n");
            }
        } catch (IOException e) {
            throw WriteFailure.of(file, e);
        }
    }

    /**
     * Scores the first images of a source: the energy of each image's latent, inferred by the
     * model's own method, with a learned prior's energy included ({@link PosteriorEnergy}).
     *
     * @param model the trained model
     * @param sigma the observation noise of the energy and of Langevin inference
     * @param images the images
     * @param count how many, from the first
     * @param batchSize images per inference batch
     * @param stream where the inference's draws come from
     * @param progress told the images as they are scored; null for none
     * @return one score per image, higher for more anomalous
     */
    public static double[] scores(
            LatentModel model,
            float sigma,
            ImageSource images,
            int count,
            int batchSize,
            RandomStream stream,
            Progress progress) {
        Reconstruction.requirePositive(count, batchSize);
        int n = Math.min(count, images.imageCount());
        double[] scores = new double[n];
        if (progress != null) {
            progress.reset("scores", n);
        }
        try (NDManager manager = model.getParameterStore().getManager().newSubManager()) {
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = images.batch(scope, from, to);
                    NDList latents = model.inferLatents(x, sigma, stream);
                    float[] u =
                            energy(model, x, model.generate(latents), latents, sigma)
                                    .total()
                                    .toFloatArray();
                    for (int i = 0; i < u.length; i++) {
                        scores[from + i] = u[i];
                    }
                }
                if (progress != null) {
                    progress.increment(to - from);
                }
            }
        }
        if (progress != null) {
            progress.end();
        }
        return scores;
    }

    /**
     * The posterior energy of inferred latents under a model: the reconstruction's, the latents'
     * N(0, I) prior's and a learned prior's.
     *
     * @param model the model
     * @param x the images
     * @param reconstruction what the model generates from the latents
     * @param latents the latents, top first
     * @param sigma the observation noise
     * @return the energy of each image
     */
    public static PosteriorEnergy energy(
            LatentModel model, NDArray x, NDArray reconstruction, NDList latents, float sigma) {
        PosteriorEnergy u =
                PosteriorEnergy.of(
                        x, reconstruction, latents, sigma, null, model.getParameterStore(), false);
        NDArray prior = model.getState().priorEnergy(Latents.concat(latents));
        return prior == null ? u : u.withPriorEnergy(prior);
    }

    /** Builds an {@link AnomalyJob}. */
    public static final class Builder {
        private LatentGenerator generator;
        private LearningConfig learning;
        private int normalClass = -1;
        private ImageDataset train;
        private ImageDataset test;
        private Checkpoint checkpoint;
        private Path output;
        private int testCount;
        private int batchSize = 100;
        private TrainingJob.Listener listener;
        private Map<String, Object> record;
        private Consumer<EngineCheck.Report> engineCheck;
        private Device device;
        private Progress progress;

        Builder() {}

        /**
         * Sets the device every parameter and array goes to (default: the engine's default).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Sets the generator to train, uninitialised (not needed with {@link #optCheckpoint}).
         *
         * @param generator the generator
         * @return this builder
         */
        public Builder setGenerator(LatentGenerator generator) {
            this.generator = generator;
            return this;
        }

        /**
         * Sets a ladder generator of this architecture to train.
         *
         * @param model the architecture
         * @return this builder
         */
        public Builder setModel(LadderConfig model) {
            return setGenerator(new LadderGenerator(model));
        }

        /**
         * Adds entries to the training run's config.json beside its settings.
         *
         * @param record the entries
         * @return this builder
         */
        public Builder optRecord(Map<String, Object> record) {
            this.record = record;
            return this;
        }

        /**
         * Checks the engine's gradients at the generator's shapes ({@link EngineCheck}) once the
         * run directory has been accepted, before training or scoring; a check that passed goes to
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
         * Sets the training settings, the method among them (not needed with {@link
         * #optCheckpoint}).
         *
         * @param learning the settings
         * @return this builder
         */
        public Builder setLearning(LearningConfig learning) {
            this.learning = learning;
            return this;
        }

        /**
         * Sets the normal class: the one trained on, and the negatives at test time.
         *
         * @param normalClass the label
         * @return this builder
         */
        public Builder setNormalClass(int normalClass) {
            this.normalClass = normalClass;
            return this;
        }

        /**
         * Sets the labelled training images, of which the normal class's are trained on (not needed
         * with {@link #optCheckpoint}).
         *
         * @param train the training split
         * @return this builder
         */
        public Builder setTrainImages(ImageDataset train) {
            this.train = train;
            return this;
        }

        /**
         * Sets the labelled test images.
         *
         * @param test the test split
         * @return this builder
         */
        public Builder setTestImages(ImageDataset test) {
            this.test = test;
            return this;
        }

        /**
         * Scores with a trained model instead of training one.
         *
         * @param checkpoint the model
         * @return this builder
         */
        public Builder optCheckpoint(Checkpoint checkpoint) {
            this.checkpoint = checkpoint;
            return this;
        }

        /**
         * Sets the directory for the training run's files, the scores and the ROC curve (default:
         * none).
         *
         * @param output the directory
         * @return this builder
         */
        public Builder optOutput(Path output) {
            this.output = output;
            return this;
        }

        /**
         * Scores only the first test images (default: all).
         *
         * @param count how many
         * @return this builder
         */
        public Builder optTestImages(int count) {
            this.testCount = count;
            return this;
        }

        /**
         * Sets the images per inference batch when scoring (default 100).
         *
         * @param batchSize the batch size
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Listens to training (a progress bar, for example).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optListener(TrainingJob.Listener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Is told the test images as they are scored.
         *
         * @param progress the progress
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Builds the job, checking the data it will need.
         *
         * @return the job
         * @throws IllegalArgumentException if something required is missing or out of range
         * @throws InputException if the scored test images hold only one kind, or the normal class
         *     has fewer training images than a batch
         */
        public AnomalyJob build() {
            if (normalClass < 0) {
                throw new IllegalArgumentException(
                        "the normal class must be set, and be 0 or more");
            }
            if (test == null) {
                throw new IllegalArgumentException("the test images must be set");
            }
            if (checkpoint == null && (generator == null || learning == null || train == null)) {
                throw new IllegalArgumentException(
                        "without a checkpoint, the model, the learning settings and the training"
                                + " images must be set");
            }
            if (testCount < 0 || batchSize <= 0) {
                throw new IllegalArgumentException(
                        "the test image count must be >= 0 and the batch size positive");
            }
            return new AnomalyJob(this);
        }
    }
}
