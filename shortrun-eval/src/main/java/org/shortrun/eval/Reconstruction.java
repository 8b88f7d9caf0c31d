package org.shortrun.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shortrun.ImageSource;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.inference.LatentInference;
import org.shortrun.method.LatentModel;
import org.shortrun.model.LatentGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;

/**
 * Reconstruction of held-out images by a model's own inference (short-run Langevin dynamics with
 * the K and s of training, an encoder, a code search), and the per-pixel squared error of the
 * images generated from the inferred latents.
 *
 * <p>Two scales are reported: {@code mse} on the [-1, 1] scale the model works in, and {@code
 * mse01} on [0, 1], which is a quarter of it.
 */
public final class Reconstruction {

    /**
     * The mean squared error per pixel.
     *
     * @param mse on the [-1, 1] scale
     * @param mse01 on the [0, 1] scale
     * @param images the number of images measured
     */
    public record Error(double mse, double mse01, int images) {}

    /** How many images {@link #evaluate} writes above their reconstructions. */
    public static final int COMPARISON_IMAGES = 16;

    /**
     * A checkpoint's reconstruction error, with how it was measured.
     *
     * @param error the error
     * @param method the method the model was trained with, whose inference was used
     * @param langevin the Langevin sampler inference took, or null if the method infers otherwise
     * @param sigma sigma for inference
     * @param iteration the checkpoint's training iteration
     * @param png the originals above their reconstructions
     */
    public record Report(
            Error error, String method, Langevin langevin, float sigma, long iteration, Path png) {

        /**
         * The JSON line {@code shortrun reconstruct} prints; {@code steps} and {@code step_size}
         * only for a model that infers by Langevin dynamics.
         *
         * @return the line's keys and values, in order
         */
        public Map<String, Object> toMap() {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("images", error.images());
            line.put("mse", error.mse());
            line.put("mse01", error.mse01());
            line.put("inference", method);
            if (langevin != null) {
                line.put("steps", langevin.getSteps());
                line.put("step_size", langevin.getStepSize());
            }
            line.put("sigma", sigma);
            line.put("iteration", iteration);
            line.put("png", png.toString());
            return line;
        }
    }

    private Reconstruction() {}

    /**
     * Loads a checkpoint's model, measures its reconstruction error on the first {@code count}
     * images of a source by the model's own inference, and writes the first {@link
     * #COMPARISON_IMAGES} above their reconstructions. Measuring and the picture each draw from
     * their own stream of the seed, so the picture's reconstructions do not depend on how many
     * images were measured.
     *
     * @param checkpoint the model to load
     * @param langevin the sampler to infer with instead of the model's (see {@link
     *     Langevin#overriding}), or null for the model's own inference
     * @param sigma sigma for inference
     * @param source the images
     * @param count how many images to measure, from the first
     * @param batchSize images per inference batch
     * @param png the picture to write
     * @param seed the seed of the inference's draws
     * @param progress told the measured images as they are done; null for none
     * @param device the device the model and every array go to; null for the engine's default
     * @return the error, with how it was measured
     * @throws IOException if the picture cannot be written
     * @throws org.shortrun.InputException if a sampler is given for a model that infers otherwise
     */
    public static Report evaluate(
            Checkpoint checkpoint,
            Langevin langevin,
            float sigma,
            ImageSource source,
            int count,
            int batchSize,
            Path png,
            long seed,
            Progress progress,
            Device device)
            throws IOException {
        Error error;
        Langevin used;
        try (NDManager manager = NDManager.newBaseManager(device)) {
            LatentModel model = checkpoint.loadModel(manager);
            requireLangevin(model, langevin);
            used =
                    langevin != null
                            ? langevin
                            : model.infersByLangevin() ? model.getLangevin() : null;
            LatentInference inference =
                    (x, stream) -> model.inferLatents(x, sigma, stream, langevin);
            error =
                    measure(
                            model.getGenerator(),
                            model.getParameterStore(),
                            inference,
                            source,
                            count,
                            batchSize,
                            manager,
                            RandomStream.seeded(seed),
                            progress);
            writeComparison(
                    model.getGenerator(),
                    model.getParameterStore(),
                    inference,
                    source,
                    COMPARISON_IMAGES,
                    manager,
                    png,
                    RandomStream.seeded(seed));
        }
        return new Report(
                error,
                checkpoint.getLearningConfig().getMethod().getName(),
                used,
                sigma,
                checkpoint.getIteration(),
                png);
    }

    /**
     * Refuses another Langevin sampler for a model that infers otherwise.
     *
     * @param model the model
     * @param langevin the sampler asked for, or null for none
     * @throws InputException if one is asked for and the model's method infers otherwise
     */
    public static void requireLangevin(LatentModel model, Langevin langevin) {
        if (langevin != null && !model.infersByLangevin()) {
            throw new InputException(
                    "the model was learned by "
                            + model.getMethod().getName()
                            + ", which does not infer by Langevin dynamics; leave out the"
                            + " Langevin settings (steps, step size)");
        }
    }

    /**
     * The test reconstruction error of a learner as a run reports it: its own inference at its
     * current sigma, the draws from the run's seed, in batches of 100.
     *
     * @param learner the learner
     * @param source the test images
     * @param count how many, from the first
     * @param manager the manager each batch's scope is opened under
     * @return the error
     */
    public static Error of(Learner learner, ImageSource source, int count, NDManager manager) {
        return measure(
                learner.getGenerator(),
                learner.getParameterStore(),
                learner::inferLatents,
                source,
                count,
                100,
                manager,
                RandomStream.seeded(learner.getConfig().getSeed()),
                null);
    }

    /**
     * Measures the reconstruction error of the first {@code count} images of a source, reporting
     * each batch to a progress bar, since short-run inference over a test set takes minutes.
     *
     * @param generator the generator
     * @param parameterStore its parameter store
     * @param inference how the latents of a batch are inferred
     * @param source the images
     * @param count how many images, from the first
     * @param batchSize images per inference batch
     * @param manager the manager each batch's scope is opened under
     * @param stream where Langevin's draws come from
     * @param progress told the image count, then each batch's images as they are done, then the
     *     end; null for none
     * @return the error
     */
    public static Error measure(
            LatentGenerator generator,
            ParameterStore parameterStore,
            LatentInference inference,
            ImageSource source,
            int count,
            int batchSize,
            NDManager manager,
            RandomStream stream,
            Progress progress) {
        requirePositive(count, batchSize);
        int n = Math.min(count, source.imageCount());
        if (progress != null) {
            progress.reset("reconstruction", n);
        }
        double sum = 0;
        long pixels = 0;
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = source.batch(scope, from, to);
                NDArray reconstruction =
                        generator
                                .forward(parameterStore, inference.infer(x, stream), false)
                                .singletonOrThrow();
                for (double s : squaredErrors(x, reconstruction)) {
                    sum += s;
                }
                pixels += x.size();
            }
            if (progress != null) {
                progress.increment(to - from);
            }
        }
        if (progress != null) {
            progress.end();
        }
        double mse = sum / pixels;
        return new Error(mse, mse / 4, n);
    }

    /**
     * The summed squared error of each image against its reconstruction, the quantity {@link
     * #measure} adds up; every caller that reports a reconstruction error uses it, so that the
     * figures agree to the last bit.
     *
     * @param x the images {@code [n, c, h, w]}
     * @param reconstruction their reconstructions, same shape
     * @return per image, the sum over its pixels and channels of the squared difference
     */
    public static double[] squaredErrors(NDArray x, NDArray reconstruction) {
        float[] perImage = x.sub(reconstruction).square().sum(new int[] {1, 2, 3}).toFloatArray();
        double[] sums = new double[perImage.length];
        for (int i = 0; i < sums.length; i++) {
            sums[i] = perImage[i];
        }
        return sums;
    }

    /**
     * Writes the first {@code count} images of a source above their reconstructions, as a PNG.
     *
     * @param generator the generator
     * @param parameterStore its parameter store
     * @param inference how the latents of a batch are inferred
     * @param source the images
     * @param count how many images, from the first
     * @param manager the manager the arrays' scope is opened under
     * @param file the PNG to write
     * @param stream where Langevin's draws come from
     * @throws IOException if writing fails
     */
    public static void writeComparison(
            LatentGenerator generator,
            ParameterStore parameterStore,
            LatentInference inference,
            ImageSource source,
            int count,
            NDManager manager,
            Path file,
            RandomStream stream)
            throws IOException {
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = source.batch(scope, 0, Math.min(count, source.imageCount()));
            NDArray reconstruction =
                    generator
                            .forward(parameterStore, inference.infer(x, stream), false)
                            .singletonOrThrow();
            ImageGrid.write(List.of(x, reconstruction), 8, file);
        }
    }

    /** Refuses a count of images or a batch size that is not positive (a batch of 0 never ends). */
    static void requirePositive(int count, int batchSize) {
        if (count <= 0 || batchSize <= 0) {
            throw new InputException(
                    "the images measured and the batch size must be positive, got "
                            + count
                            + " and "
                            + batchSize);
        }
    }
}
