package org.shortrun.zoo;

import ai.djl.Model;
import ai.djl.nn.Block;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinAutoencoder;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Method;

/**
 * Turns a shortrun checkpoint into a DJL {@link Model}: the generator as the model's block (or, for
 * a Langevin autoencoder given images, the {@link LangevinAutoencoder}: encoder and generator), and
 * what inference needs (K, s_1..s_K, sigma) and what describes the model (method, iteration,
 * architecture) as the model's properties. Used by {@link ShortrunModelLoader} and {@link
 * LadderBlockFactory}; the parameters are read by {@link Checkpoint}, which verifies their
 * checksums.
 */
public final class ShortrunModels {

    /** The group id of the shortrun model zoo. */
    public static final String GROUP_ID = "org.shortrun";

    /** The artifact id of the one kind of model the zoo loads. */
    public static final String ARTIFACT_ID = "ladder-generator";

    /** The criteria argument that names the run or checkpoint directory for the registered zoo. */
    public static final String MODEL_PATH_ARGUMENT = "modelPath";

    /** Property: Langevin steps K the model was trained with. */
    public static final String STEPS = "steps";

    /**
     * Property: the Langevin noise standard deviation s at the checkpoint (the mean of per-step
     * sizes).
     */
    public static final String STEP_SIZE = "stepSize";

    /** Property: s_1..s_K at the checkpoint, comma-separated; all equal when the steps share s. */
    public static final String STEP_SIZES = "stepSizes";

    /** Property: the observation noise sigma at the checkpoint's iteration. */
    public static final String SIGMA = "sigma";

    /** Property: iterations trained. */
    public static final String ITERATION = "iteration";

    /** Property: latent dimensions per layer, top first, comma-separated. */
    public static final String Z_DIMS = "zDims";

    /** Property: channel width n_f. */
    public static final String CHANNELS = "channels";

    /** Property: image channels (1 or 3). */
    public static final String IMAGE_CHANNELS = "imageChannels";

    /** Property: image side in pixels. */
    public static final String IMAGE_SIZE = "imageSize";

    /** Property: the training seed. */
    public static final String SEED = "seed";

    /**
     * Property: the method the model was trained with, lower case ({@code shortrun}, {@code lae},
     * ...).
     */
    public static final String METHOD = "method";

    private ShortrunModels() {}

    /**
     * Reads and verifies a checkpoint, loads its generator into the model's manager, sets it as the
     * model's block and records its settings as properties; the same as {@link #load(Model, Path,
     * Class)} for an input that is not images.
     *
     * @param model a model of the PyTorch engine with no block yet
     * @param directory a run directory or its {@code checkpoint/}
     * @return the checkpoint read
     * @throws org.shortrun.InputException if there is no checkpoint or it is damaged
     */
    public static Checkpoint load(Model model, Path directory) {
        return load(model, directory, null);
    }

    /**
     * Reads and verifies a checkpoint, loads the block the model's predictors take their input with
     * into the model's manager, sets it as the model's block and records the checkpoint's settings
     * as properties. The block is the generator, except for a Langevin autoencoder (lae, clae)
     * whose input is an {@link ImageBatch} (reconstruction, anomaly scores): then it is the {@link
     * LangevinAutoencoder}, whose forward pass encodes and generates, since its inference is one
     * encoder pass.
     *
     * @param model a model of the PyTorch engine with no block yet
     * @param directory a run directory or its {@code checkpoint/}
     * @param input the predictors' input type, or null if not known
     * @return the checkpoint read
     * @throws org.shortrun.InputException if there is no checkpoint or it is damaged
     */
    public static Checkpoint load(Model model, Path directory, Class<?> input) {
        Checkpoint cp = Checkpoint.read(directory);
        Method method = cp.getLearningConfig().getMethod();
        if (method.isLangevinAutoencoder() && input == ImageBatch.class) {
            model.setBlock(cp.loadLangevinAutoencoder(model.getNDManager()));
        } else {
            model.setBlock(cp.loadGenerator(model.getNDManager()));
        }
        model.setProperty(METHOD, method.name().toLowerCase(Locale.ROOT));
        LadderConfig config = cp.getModelConfig();
        model.setProperty(STEPS, Integer.toString(cp.getLearningConfig().getSteps()));
        model.setProperty(STEP_SIZE, Float.toString(cp.getStepSize()));
        float[] stepSizes = cp.getStepSizes();
        StringBuilder sizes = new StringBuilder();
        for (int k = 0; k < stepSizes.length; k++) {
            sizes.append(k == 0 ? "" : ",").append(stepSizes[k]);
        }
        model.setProperty(STEP_SIZES, sizes.toString());
        model.setProperty(SIGMA, Float.toString(cp.getSigma()));
        model.setProperty(ITERATION, Long.toString(cp.getIteration()));
        model.setProperty(
                Z_DIMS,
                Arrays.stream(config.getZDims())
                        .mapToObj(Integer::toString)
                        .collect(Collectors.joining(",")));
        model.setProperty(CHANNELS, Integer.toString(config.getChannels()));
        model.setProperty(IMAGE_CHANNELS, Integer.toString(config.getImageChannels()));
        model.setProperty(IMAGE_SIZE, Integer.toString(config.getImageSize()));
        model.setProperty(SEED, Long.toString(cp.getLearningConfig().getSeed()));
        return cp;
    }

    /**
     * Returns the model's generator: its block, or the generator of its Langevin autoencoder.
     *
     * @param model a model loaded by {@link #load}
     * @return the generator
     * @throws IllegalArgumentException if the model's block is neither a shortrun generator nor a
     *     Langevin autoencoder
     */
    public static LadderGenerator generator(Model model) {
        Block block = model.getBlock();
        if (block instanceof LangevinAutoencoder autoencoder) {
            return autoencoder.getGenerator();
        }
        if (!(block instanceof LadderGenerator)) {
            throw new IllegalArgumentException(
                    "model "
                            + model.getName()
                            + " is not a shortrun model (its block is "
                            + block
                            + ")");
        }
        return (LadderGenerator) block;
    }

    /**
     * Returns the model's Langevin autoencoder, if its block is one.
     *
     * @param model a model loaded by {@link #load}
     * @return the block as a Langevin autoencoder, or null if it is a generator alone
     */
    public static LangevinAutoencoder autoencoder(Model model) {
        return model.getBlock() instanceof LangevinAutoencoder autoencoder ? autoencoder : null;
    }

    /**
     * Returns the sampler to infer with: the model's K and step sizes (per step, where the
     * checkpoint has sizes of its own for each) unless overridden; a given s is shared by all
     * steps.
     *
     * @param model a model loaded by {@link #load}
     * @param steps K, or null for the model's
     * @param stepSize s, or null for the model's
     * @return the sampler
     * @throws IllegalArgumentException if K is overridden without s for a model whose steps have
     *     sizes of their own
     */
    public static Langevin langevin(Model model, Integer steps, Float stepSize) {
        int k = steps != null ? steps : Integer.parseInt(property(model, STEPS));
        if (stepSize != null) {
            return Langevin.builder().setSteps(k).setStepSize(stepSize).build();
        }
        String perStep = model.getProperty(STEP_SIZES);
        if (perStep == null) {
            return Langevin.builder()
                    .setSteps(k)
                    .setStepSize(Float.parseFloat(property(model, STEP_SIZE)))
                    .build();
        }
        String[] parts = perStep.split(",");
        float[] sizes = new float[parts.length];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Float.parseFloat(parts[i]);
        }
        Langevin trained = Langevin.builder().setSteps(sizes.length).optStepSizes(sizes).build();
        if (k == sizes.length) {
            return trained;
        }
        if (!trained.hasSharedStepSize()) {
            throw new IllegalArgumentException(
                    "model "
                            + model.getName()
                            + " has a step size per step for its K = "
                            + sizes.length
                            + " steps; give a step size (optStepSize) to infer with K = "
                            + k);
        }
        return Langevin.builder().setSteps(k).setStepSize(sizes[0]).build();
    }

    /**
     * Returns sigma to infer with: the model's unless overridden.
     *
     * @param model a model loaded by {@link #load}
     * @param sigma sigma, or null for the model's
     * @return sigma
     */
    public static float sigma(Model model, Float sigma) {
        float value = sigma != null ? sigma : Float.parseFloat(property(model, SIGMA));
        if (!(value > 0f) || Float.isInfinite(value)) {
            throw new IllegalArgumentException("sigma must be positive, got " + value);
        }
        return value;
    }

    private static String property(Model model, String key) {
        String value = model.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException(
                    "model "
                            + model.getName()
                            + " has no property "
                            + key
                            + "; load it through the shortrun zoo");
        }
        return value;
    }
}
