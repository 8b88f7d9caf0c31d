package org.shortrun.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.inference.LatentInference;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ImageSource;
import org.shortrun.training.Learner;
import org.shortrun.training.Method;

/**
 * Reconstruction by short-run inference: infer the latents of held-out images with the same K and s
 * as in training, generate from them, and measure the per-pixel squared error.
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
     * @param steps Langevin's K
     * @param stepSize Langevin's s
     * @param sigma sigma for inference
     * @param iteration the checkpoint's training iteration
     * @param png the originals above their reconstructions
     */
    public record Report(
            Error error,
            Method method,
            int steps,
            float stepSize,
            float sigma,
            long iteration,
            Path png) {

        /**
         * The JSON line {@code shortrun reconstruct} prints.
         *
         * @return the line's keys and values, in order
         */
        public Map<String, Object> toMap() {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("images", error.images());
            line.put("mse", error.mse());
            line.put("mse01", error.mse01());
            line.put("inference", method.name().toLowerCase(java.util.Locale.ROOT));
            line.put("steps", steps);
            line.put("step_size", stepSize);
            line.put("sigma", sigma);
            line.put("iteration", iteration);
            line.put("png", png.toString());
            return line;
        }
    }

    private Reconstruction() {}

    /**
     * Loads a checkpoint's generator, measures its reconstruction error on the first {@code count}
     * images of a source (by short-run inference with the given sampler, or for a model trained by
     * VAE, Ladder-VAE or GLO by that method's own inference), and writes the first {@link
     * #COMPARISON_IMAGES} above their reconstructions. Measuring and the picture each draw from
     * their own stream of the seed, so the picture's reconstructions do not depend on how many
     * images were measured.
     *
     * @param checkpoint the generator to load
     * @param langevin the sampler (K and s)
     * @param sigma sigma for inference
     * @param source the images
     * @param count how many images to measure, from the first
     * @param batchSize images per inference batch
     * @param png the picture to write
     * @param seed the seed of Langevin's draws
     * @param progress told the measured images as they are done; null for none
     * @return the error, with how it was measured
     * @throws IOException if the picture cannot be written
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
            Progress progress)
            throws IOException {
        Error error;
        Method method = checkpoint.getLearningConfig().getMethod();
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator generator;
            ParameterStore store;
            LatentInference inference;
            if (method.isAmortised() || method == Method.GLO) {
                // the method's own inference: its encoder, or its codes' Gaussian for the search
                Learner learner = checkpoint.restore(checkpoint.getLearningConfig(), manager);
                generator = learner.getGenerator();
                store = learner.getParameterStore();
                inference = learner::inferLatents;
            } else {
                LadderGenerator loaded = checkpoint.loadGenerator(manager);
                ParameterStore loadedStore = new ParameterStore(manager, false);
                generator = loaded;
                store = loadedStore;
                inference =
                        (x, stream) ->
                                inferLatents(loaded, loadedStore, langevin, sigma, x, stream);
            }
            error =
                    measure(
                            generator,
                            store,
                            inference,
                            source,
                            count,
                            batchSize,
                            manager,
                            RandomStream.seeded(seed),
                            progress);
            writeComparison(
                    generator,
                    store,
                    inference,
                    source,
                    COMPARISON_IMAGES,
                    manager,
                    png,
                    RandomStream.seeded(seed));
        }
        return new Report(
                error,
                method,
                langevin.getSteps(),
                langevin.getStepSize(),
                sigma,
                checkpoint.getIteration(),
                png);
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
            LadderGenerator generator,
            ParameterStore parameterStore,
            LatentInference inference,
            ImageSource source,
            int count,
            int batchSize,
            NDManager manager,
            RandomStream stream,
            Progress progress) {
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
     * Infers the latents of a batch by short-run Langevin dynamics, the first half of {@link
     * #reconstruct}; generating from them gives the reconstructions.
     *
     * @param generator the generator
     * @param parameterStore its parameter store
     * @param langevin the sampler
     * @param sigma sigma for inference
     * @param x the images; the latents go to their manager
     * @param stream where Langevin's draws come from
     * @return the latents, top first
     */
    public static NDList inferLatents(
            LadderGenerator generator,
            ParameterStore parameterStore,
            Langevin langevin,
            float sigma,
            NDArray x,
            RandomStream stream) {
        return langevin.infer(generator, parameterStore, x, null, sigma, false, stream)
                .getLatents();
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
     * Reconstructs a batch.
     *
     * @param generator the generator
     * @param parameterStore its parameter store
     * @param langevin the sampler
     * @param sigma sigma for inference
     * @param x the images; the result goes to their manager
     * @param stream where Langevin's draws come from
     * @return the reconstructions, same shape as x
     */
    public static NDArray reconstruct(
            LadderGenerator generator,
            ParameterStore parameterStore,
            Langevin langevin,
            float sigma,
            NDArray x,
            RandomStream stream) {
        return generator
                .forward(
                        parameterStore,
                        inferLatents(generator, parameterStore, langevin, sigma, x, stream),
                        false)
                .singletonOrThrow();
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
            LadderGenerator generator,
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
}
