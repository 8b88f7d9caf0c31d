package org.shortrun.examples;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.util.ProgressBar;
import java.nio.file.Path;
import java.util.Locale;
import org.shortrun.data.MnistDataset;
import org.shortrun.eval.Reconstruction;
import org.shortrun.method.ShortRun;
import org.shortrun.method.Variational;
import org.shortrun.model.BlockGenerator;
import org.shortrun.model.LatentGenerator;
import org.shortrun.stepsize.StepSizeTuning;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.TrainingJob;
import org.shortrun.zoo.ImageBatch;
import org.shortrun.zoo.Reconstructed;
import org.shortrun.zoo.ReconstructionTranslator;
import org.shortrun.zoo.ShortrunModelZoo;

/**
 * A generator of one's own, learned by short-run inference: a two-layer MLP decoder on MNIST with
 * one 20-dimensional latent, written as a plain DJL {@link SequentialBlock}. It is learned with
 * short-run Langevin inference, its step size chosen by the variational objective during training,
 * its held-out reconstructions measured through a {@code Predictor}, and the same block is learned
 * as a VAE's decoder for comparison. {@code BringYourOwnGenerator [OUT [ITERATIONS [TEST_IMAGES
 * [MNIST_DIR]]]]}; prints JSON lines.
 */
public final class BringYourOwnGenerator {

    private BringYourOwnGenerator() {}

    /**
     * The decoder: 20 latents, 400 hidden units, a 28 x 28 image in [-1, 1].
     *
     * @return a new, uninitialised block
     */
    static Block decoder() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(400).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(28 * 28).build())
                .add(Activation::tanh)
                .addSingleton(x -> x.reshape(-1, 1, 28, 28));
    }

    /**
     * Learns the decoder both ways and prints what came of it.
     *
     * @param args output directory (runs/byo), iterations (600), test images measured (1000), a
     *     directory of MNIST's IDX files (default: the test set embedded in shortrun-datasets)
     * @throws Exception if the data cannot be read or a run cannot be written
     */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "runs/byo");
        long iterations = args.length > 1 ? Long.parseLong(args[1]) : 600;
        int testImages = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        Path mnist = args.length > 3 ? Path.of(args[3]) : null;
        MnistDataset train = mnist(Dataset.Usage.TRAIN, mnist);
        MnistDataset test = mnist(Dataset.Usage.TEST, mnist);

        // the paper's search of s over 0.01..0.15 before the first iteration and halfway
        StepSizeTuning tuning = StepSizeTuning.gridEvery(Math.max(1, iterations / 2));
        LearningConfig.Builder shared =
                LearningConfig.builder()
                        .setIterations(iterations)
                        .optBatchSize(64)
                        .optLearningRate(LearningRateSchedule.CONSTANT, 1e-3);
        LatentGenerator generator =
                BlockGenerator.of(BringYourOwnGenerator::decoder, new Shape(20));
        Path shortRun = out.resolve("shortrun");
        try (TrainingJob job =
                TrainingJob.builder()
                        .setGenerator(generator)
                        .setLearning(
                                shared.optMethod(
                                                ShortRun.builder()
                                                        .optStepSizeTuning(tuning)
                                                        .build())
                                        .build())
                        .setTrainImages(train)
                        .optOutput(shortRun)
                        .optEngineCheck(check -> System.err.println(check.describe()))
                        .addListener(
                                TrainingJob.Listener.ofStepSizeSearches(
                                        s ->
                                                print(
                                                        "step_size",
                                                        "iteration",
                                                        s.iteration(),
                                                        s.chosen())))
                        .build()) {
            print("shortrun", "before", testError(job, test, testImages), Double.NaN);
            job.train();
            print(
                    "shortrun",
                    "after",
                    testError(job, test, testImages),
                    job.getLearner().getStepSize());
        }

        // the learned model through a Predictor: the run loads into a fresh decoder
        Criteria<ImageBatch, Reconstructed> criteria =
                Criteria.builder()
                        .setTypes(ImageBatch.class, Reconstructed.class)
                        .optBlock(BlockGenerator.of(BringYourOwnGenerator::decoder, new Shape(20)))
                        .optModelZoo(ShortrunModelZoo.of(shortRun))
                        .optTranslator(ReconstructionTranslator.builder().optSeed(1).build())
                        .build();
        try (ZooModel<ImageBatch, Reconstructed> model = criteria.loadModel();
                Predictor<ImageBatch, Reconstructed> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            Reconstructed r =
                    predictor.predict(
                            ImageBatch.of(
                                    test.batch(
                                            manager, 0, Math.min(testImages, test.imageCount()))));
            print("shortrun", "predictor", r.meanMse(), Double.NaN);
        }

        // the same block as a VAE's decoder, with a dense encoder the library adds
        try (TrainingJob job =
                TrainingJob.builder()
                        .setGenerator(
                                BlockGenerator.of(BringYourOwnGenerator::decoder, new Shape(20)))
                        .setLearning(
                                shared.optMethod(
                                                Variational.builder()
                                                        .optKlWarmup(iterations / 4)
                                                        .build())
                                        .build())
                        .setTrainImages(train)
                        .optOutput(out.resolve("vae"))
                        .build()) {
            job.train();
            print("vae", "after", testError(job, test, testImages), Double.NaN);
        }
    }

    private static MnistDataset mnist(Dataset.Usage usage, Path directory) throws Exception {
        MnistDataset d =
                MnistDataset.builder()
                        .optUsage(usage)
                        .optDirectory(directory)
                        .optImageSize(28)
                        .build();
        d.prepare(new ProgressBar());
        return d;
    }

    private static double testError(TrainingJob job, MnistDataset test, int count) {
        return Reconstruction.of(job.getLearner(), test, count, job.getManager()).mse();
    }

    private static void print(String model, String when, double mse, double stepSize) {
        System.out.printf(
                Locale.ROOT,
                "{\"model\": \"%s\", \"when\": \"%s\", \"mse\": %s%s}%n",
                model,
                when,
                Double.isNaN(mse) ? "null" : Double.toString(mse),
                Double.isNaN(stepSize) ? "" : ", \"step_size\": " + (float) stepSize);
    }

    private static void print(String event, String key, long iteration, double s) {
        System.out.printf(
                Locale.ROOT,
                "{\"event\": \"%s\", \"%s\": %d, \"s\": %s}%n",
                event,
                key,
                iteration,
                s);
    }
}
