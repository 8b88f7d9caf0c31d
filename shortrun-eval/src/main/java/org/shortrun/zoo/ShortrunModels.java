package org.shortrun.zoo;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.translate.TranslateException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.shortrun.InputException;
import org.shortrun.inference.Langevin;
import org.shortrun.method.LatentModel;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LatentGenerator;
import org.shortrun.training.Checkpoint;

/**
 * Turns a shortrun checkpoint into a DJL {@link Model}: the {@link LatentModel} (the generator with
 * what its method learned beside it) as the model's block, and what describes the model (method, K
 * and s_1..s_K of a Langevin method, sigma, iteration, architecture) as the model's properties, for
 * display; the translators take what they need from the block itself. A run of a generator of the
 * user's own loads into the generator given to {@code Criteria.optBlock}. Used by {@link
 * ShortrunModelLoader} and {@link ShortrunBlockFactory}; the parameters are read by {@link
 * Checkpoint}, which verifies their checksums.
 */
public final class ShortrunModels {

    /** The group id of the shortrun model zoo. */
    public static final String GROUP_ID = "org.shortrun";

    /** The artifact id of the one kind of model the zoo loads. */
    public static final String ARTIFACT_ID = "latent-model";

    /** The argument that names the run directory when the zoo is found by its group id. */
    public static final String MODEL_PATH_ARGUMENT = "modelPath";

    /** Property: K of a Langevin method. */
    public static final String STEPS = "steps";

    /** Property: s of a Langevin method, or the mean of its per-step sizes. */
    public static final String STEP_SIZE = "stepSize";

    /** Property: s_1..s_K of a Langevin method, comma-separated. */
    public static final String STEP_SIZES = "stepSizes";

    /** Property: sigma at the checkpoint's iteration. */
    public static final String SIGMA = "sigma";

    /** Property: the checkpoint's iteration. */
    public static final String ITERATION = "iteration";

    /** Property: the latents' shapes, top first. */
    public static final String LATENT_SHAPES = "latentShapes";

    /** Property: one image's shape. */
    public static final String IMAGE_SHAPE = "imageShape";

    /** Property: the image channels, 1 for grey, 3 for colour. */
    public static final String IMAGE_CHANNELS = "imageChannels";

    /** Property: the image side, in pixels (of a square image; the height otherwise). */
    public static final String IMAGE_SIZE = "imageSize";

    /** Property: the ladder's latent dimensions, top first, comma-separated. */
    public static final String Z_DIMS = "zDims";

    /** Property: the ladder's channel width. */
    public static final String CHANNELS = "channels";

    /** Property: the run's seed. */
    public static final String SEED = "seed";

    /** Property: the method's name. */
    public static final String METHOD = "method";

    private ShortrunModels() {}

    /**
     * Loads a checkpoint into a DJL model: sets its block and properties.
     *
     * @param model the model, with no block yet or with the generator a run of a user's own
     *     generator needs as its block
     * @param directory a checkpoint or a run directory
     * @return the checkpoint that was read
     * @throws InputException if there is no checkpoint, it is damaged, or its generator is the
     *     user's and none (or one of other shapes) was given
     */
    public static Checkpoint load(Model model, Path directory) {
        Checkpoint cp = Checkpoint.read(directory);
        Block given = model.getBlock();
        LatentModel latentModel;
        if (given instanceof LatentGenerator generator) {
            latentModel = cp.loadModel(generator.newInstance(), model.getNDManager());
        } else if (given == null || cp.getModelConfig() != null) {
            latentModel = cp.loadModel(model.getNDManager());
        } else {
            throw new InputException(
                    "the block given to load "
                            + cp.getDirectory()
                            + " is not a LatentGenerator; wrap it with BlockGenerator.of");
        }
        model.setBlock(latentModel);
        model.setProperty(METHOD, cp.getLearningConfig().getMethod().getName());
        Langevin langevin = latentModel.infersByLangevin() ? latentModel.getLangevin() : null;
        if (langevin != null) {
            model.setProperty(STEPS, Integer.toString(langevin.getSteps()));
            model.setProperty(STEP_SIZE, Float.toString(langevin.getStepSize()));
            float[] stepSizes = langevin.getStepSizes();
            StringBuilder sizes = new StringBuilder();
            for (int k = 0; k < stepSizes.length; k++) {
                sizes.append(k == 0 ? "" : ",").append(stepSizes[k]);
            }
            model.setProperty(STEP_SIZES, sizes.toString());
        }
        model.setProperty(SIGMA, Float.toString(latentModel.getSigma()));
        model.setProperty(ITERATION, Long.toString(cp.getIteration()));
        LatentGenerator generator = latentModel.getGenerator();
        model.setProperty(
                LATENT_SHAPES,
                generator.getLatentShapes().stream()
                        .map(Shape::toString)
                        .collect(Collectors.joining(",")));
        model.setProperty(IMAGE_SHAPE, generator.getImageShape().toString());
        model.setProperty(IMAGE_CHANNELS, Long.toString(generator.getImageShape().get(0)));
        model.setProperty(IMAGE_SIZE, Long.toString(generator.getImageShape().get(1)));
        LadderConfig config = cp.getModelConfig();
        if (config != null) {
            model.setProperty(
                    Z_DIMS,
                    Arrays.stream(config.getZDims())
                            .mapToObj(Integer::toString)
                            .collect(Collectors.joining(",")));
            model.setProperty(CHANNELS, Integer.toString(config.getChannels()));
        }
        model.setProperty(SEED, Long.toString(cp.getLearningConfig().getSeed()));
        return cp;
    }

    /**
     * Returns the latent model a shortrun model holds as its block.
     *
     * @param model a model the shortrun zoo loaded
     * @return the latent model
     * @throws TranslateException if the model was not loaded by the shortrun zoo
     */
    public static LatentModel latentModel(Model model) throws TranslateException {
        if (!(model.getBlock() instanceof LatentModel latent)) {
            throw new TranslateException(
                    "model "
                            + model.getName()
                            + " is not a shortrun model (its block is "
                            + model.getBlock()
                            + "); load it through the shortrun zoo");
        }
        return latent;
    }
}
