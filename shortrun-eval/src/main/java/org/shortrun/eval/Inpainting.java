package org.shortrun.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.shortrun.ImageSource;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LatentGenerator;
import org.shortrun.training.Checkpoint;

/**
 * Inpainting by short-run inference (the paper's Fig. 4): the latents are inferred from the
 * observed pixels only, and the generator fills in the rest.
 */
public final class Inpainting {

    /**
     * Errors per pixel on the [-1, 1] scale.
     *
     * @param occludedMse against the original, over the pixels inference did not see
     * @param observedMse over the pixels it saw
     * @param images the number of images
     */
    public record Error(double occludedMse, double observedMse, int images) {}

    /** How many images {@link #evaluate} writes in its rows. */
    public static final int ROW_IMAGES = 16;

    /**
     * One mask's inpainting errors, with how they were measured.
     *
     * @param mask the kind of mask
     * @param error the errors
     * @param steps Langevin's K
     * @param stepSize Langevin's s
     * @param sigma sigma for inference
     * @param png the rows of originals, occluded images and inpaintings
     */
    public record Report(Mask mask, Error error, int steps, float stepSize, float sigma, Path png) {

        /**
         * The JSON line {@code shortrun inpaint} prints for this mask.
         *
         * @param iteration the checkpoint's training iteration, which the line names
         * @return the line's keys and values, in order
         */
        public Map<String, Object> toMap(long iteration) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("mask", mask.label());
            line.put("images", error.images());
            line.put("occluded_mse", error.occludedMse());
            line.put("observed_mse", error.observedMse());
            line.put("steps", steps);
            line.put("step_size", stepSize);
            line.put("sigma", sigma);
            line.put("iteration", iteration);
            line.put("png", png.toString());
            return line;
        }
    }

    private final LatentGenerator generator;
    private final ParameterStore parameterStore;
    private final Langevin langevin;
    private final float sigma;
    private final Mask mask;
    private final double maskParameter;

    /**
     * Creates an inpainter.
     *
     * @param generator the generator
     * @param parameterStore its parameter store
     * @param langevin the sampler (K and s)
     * @param sigma sigma for inference
     * @param mask the kind of mask
     * @param maskParameter the fraction for {@link Mask#PIXELS}, the block count for {@link
     *     Mask#BLOCKS}
     */
    public Inpainting(
            LatentGenerator generator,
            ParameterStore parameterStore,
            Langevin langevin,
            float sigma,
            Mask mask,
            double maskParameter) {
        mask.check(maskParameter);
        this.generator = generator;
        this.parameterStore = parameterStore;
        this.langevin = langevin;
        this.sigma = sigma;
        this.mask = mask;
        this.maskParameter = maskParameter;
    }

    /**
     * Inpaints a batch.
     *
     * @param x the images; results go to their manager
     * @param random the source of random masks
     * @param stream where Langevin's draws come from
     * @return {mask, inpainted}
     */
    public NDList inpaint(NDArray x, Random random, RandomStream stream) {
        NDArray m = drawMask(x, random);
        return new NDList(
                m,
                generator
                        .forward(parameterStore, inferLatents(x, m, stream), false)
                        .singletonOrThrow());
    }

    /**
     * Draws this inpainter's masks for a batch.
     *
     * @param x the images {@code [n, c, h, w]}; the masks go to their manager
     * @param random the source of random masks
     * @return {@code [n, 1, h, w]}, 1 where a pixel is observed
     */
    public NDArray drawMask(NDArray x, Random random) {
        return mask.draw(
                x.getManager(),
                (int) x.getShape().get(0),
                (int) x.getShape().get(2),
                maskParameter,
                random);
    }

    /**
     * Infers the latents of a batch from its observed pixels only; generating from them gives the
     * inpainting.
     *
     * @param x the images {@code [n, c, h, w]}; the latents go to their manager
     * @param m the masks from {@link #drawMask}
     * @param stream where Langevin's draws come from
     * @return the latents, top first
     */
    public NDList inferLatents(NDArray x, NDArray m, RandomStream stream) {
        return langevin.infer(generator, parameterStore, x, m, sigma, false, stream).getLatents();
    }

    /**
     * The summed squared error of each image on its occluded and on its observed pixels, and the
     * number of each, as {@link #measure} adds them up.
     *
     * @param x the originals {@code [n, c, h, w]}
     * @param m the masks {@code [n, 1, h, w]}
     * @param inpainted the inpaintings, same shape as x
     * @return {@code [4][n]}: occluded sum, observed sum, occluded count, observed count
     */
    public static double[][] squaredErrors(NDArray x, NDArray m, NDArray inpainted) {
        int[] axes = {1, 2, 3};
        NDArray squared = x.sub(inpainted).square();
        long channels = x.getShape().get(1);
        long perImage = x.size() / x.getShape().get(0);
        float[] observed = squared.mul(m).sum(axes).toFloatArray();
        float[] occluded = squared.mul(m.neg().add(1f)).sum(axes).toFloatArray();
        float[] seen = m.sum(axes).toFloatArray();
        double[][] out = new double[4][observed.length];
        for (int i = 0; i < observed.length; i++) {
            out[0][i] = occluded[i];
            out[1][i] = observed[i];
            out[3][i] = (double) seen[i] * channels;
            out[2][i] = perImage - out[3][i];
        }
        return out;
    }

    /**
     * Measures the errors over the first {@code count} images of a source, reporting each batch to
     * a progress bar, since short-run inference over a test set takes minutes.
     *
     * @param source the images
     * @param count how many, from the first
     * @param batchSize images per batch
     * @param random the source of random masks
     * @param stream where Langevin's draws come from
     * @param manager the manager each batch's scope is opened under
     * @param progress told the image count, then each batch's images as they are done, then the
     *     end; null for none
     * @return the errors
     */
    public Error measure(
            ImageSource source,
            int count,
            int batchSize,
            Random random,
            RandomStream stream,
            NDManager manager,
            Progress progress) {
        Reconstruction.requirePositive(count, batchSize);
        int n = Math.min(count, source.imageCount());
        if (progress != null) {
            progress.reset("inpainting (" + mask.label() + ")", n);
        }
        double occluded = 0;
        double observed = 0;
        double occludedCount = 0;
        double observedCount = 0;
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = source.batch(scope, from, to);
                NDList out = inpaint(x, random, stream);
                double[][] sums = squaredErrors(x, out.get(0), out.get(1));
                for (int i = 0; i < sums[0].length; i++) {
                    occluded += sums[0][i];
                    observed += sums[1][i];
                    occludedCount += sums[2][i];
                    observedCount += sums[3][i];
                }
            }
            if (progress != null) {
                progress.increment(to - from);
            }
        }
        if (progress != null) {
            progress.end();
        }
        return new Error(
                occludedCount > 0 ? occluded / occludedCount : Double.NaN,
                observedCount > 0 ? observed / observedCount : Double.NaN,
                n);
    }

    /**
     * Measures the errors over the first {@code count} images of a source and writes the first
     * {@link #ROW_IMAGES} in rows. Measuring and the rows each draw masks and Langevin's noise from
     * their own generators of the seed, so the rows do not depend on how many images were measured.
     *
     * @param source the images
     * @param count how many to measure, from the first
     * @param batchSize images per batch
     * @param seed the seed of the masks and of Langevin's draws
     * @param manager the manager each batch's scope is opened under
     * @param png the rows to write
     * @param progress told the measured images as they are done; null for none
     * @return the errors, with how they were measured
     * @throws IOException if the rows cannot be written
     */
    public Report evaluate(
            ImageSource source,
            int count,
            int batchSize,
            long seed,
            NDManager manager,
            Path png,
            Progress progress)
            throws IOException {
        Error error =
                measure(
                        source,
                        count,
                        batchSize,
                        new Random(seed),
                        RandomStream.seeded(seed),
                        manager,
                        progress);
        writeRows(source, ROW_IMAGES, new Random(seed), RandomStream.seeded(seed), manager, png);
        return new Report(mask, error, langevin.getSteps(), langevin.getStepSize(), sigma, png);
    }

    /**
     * Inpaints a checkpoint's model's test images under each of several masks, as {@code shortrun
     * inpaint} does: per mask, the errors and {@code inpaint-<mask>.png} in a directory.
     *
     * @param checkpoint the model
     * @param langevin the sampler ({@link Checkpoint#getInpaintingLangevin})
     * @param sigma sigma for inference
     * @param masks the masks, with the fraction for {@link Mask#PIXELS} and the count for {@link
     *     Mask#BLOCKS}
     * @param source the test images
     * @param count how many, from the first
     * @param batchSize images per inference batch
     * @param seed the seed of the masks and the draws, the same for every mask
     * @param directory where the pictures go
     * @param manager the manager (and with it the device) the model and every array go to
     * @param progress told the measured images of each mask; null for none
     * @param reports told each mask's report as it is done
     * @throws IOException if a picture cannot be written
     * @throws InputException if a mask's setting is out of range or the directory is a file
     */
    public static void evaluate(
            Checkpoint checkpoint,
            Langevin langevin,
            float sigma,
            Map<Mask, Double> masks,
            ImageSource source,
            int count,
            int batchSize,
            long seed,
            Path directory,
            NDManager manager,
            Progress progress,
            java.util.function.Consumer<Report> reports)
            throws IOException {
        masks.forEach(Mask::check);
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new InputException(directory + " is a file, not a directory");
        }
        Files.createDirectories(directory);
        LatentGenerator generator = checkpoint.loadGenerator(manager);
        ParameterStore store = new ParameterStore(manager, false);
        for (Map.Entry<Mask, Double> mask : masks.entrySet()) {
            Inpainting inpainting =
                    new Inpainting(
                            generator, store, langevin, sigma, mask.getKey(), mask.getValue());
            Path png = directory.resolve("inpaint-" + mask.getKey().label() + ".png");
            reports.accept(
                    inpainting.evaluate(source, count, batchSize, seed, manager, png, progress));
        }
    }

    /**
     * Writes rows of originals, occluded images (missing pixels mid-grey) and inpaintings.
     *
     * @param source the images
     * @param count how many, from the first
     * @param random the source of random masks
     * @param stream where Langevin's draws come from
     * @param manager the manager the arrays' scope is opened under
     * @param file the PNG
     * @throws IOException if writing fails
     */
    public void writeRows(
            ImageSource source,
            int count,
            Random random,
            RandomStream stream,
            NDManager manager,
            Path file)
            throws IOException {
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = source.batch(scope, 0, Math.min(count, source.imageCount()));
            NDList out = inpaint(x, random, stream);
            NDArray occluded = x.mul(out.get(0));
            ImageGrid.write(List.of(x, occluded, out.get(1)), 8, file);
        }
    }
}
