package org.shortrun.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.Locale;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.inference.AmortisedLangevin;
import org.shortrun.inference.AmortisedPosterior;
import org.shortrun.inference.Langevin;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.inference.PriorLangevin;
import org.shortrun.inference.PriorSampler;
import org.shortrun.inference.ProjectedGradient;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderEncoder;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinEncoder;
import org.shortrun.model.Parameterisation;

/**
 * A generator with its optimiser and the state of learning: one {@link #step} is one iteration of
 * Algorithm 1 (short-run inference of the batch's latents, then an Adam step on the summed squared
 * reconstruction error), or of the {@link Method} the configuration names: the same generator,
 * learned with another inference and its loss.
 */
public final class Learner implements AutoCloseable {

    private final LadderGenerator generator;
    private final LearningConfig config;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final Adam adam;
    private final Schedule learningRate;
    private final Schedule sigma;
    private final Schedule klWeight;
    private final LadderEncoder encoder;
    private final AmortisedPosterior posterior;
    private final LangevinEncoder langevinEncoder;
    private final AmortisedLangevin amortisedLangevin;
    private final EnergyPrior prior;
    private final PriorLangevin priorLangevin;
    private final ProjectedGradient codeUpdate;
    private final ParameterList trainable;
    private Langevin langevin;
    private PersistentLatents persistent;
    private CodeGaussian codeGaussian;
    private float lastSquaredError = Float.NaN;
    private float lastAcceptance = Float.NaN;
    private long iteration;

    /**
     * Creates a learner with freshly initialised parameters, drawn from {@code config}'s seed.
     *
     * @param model the architecture
     * @param config the training settings
     * @param parent the manager that will own the parameters
     */
    public Learner(LadderConfig model, LearningConfig config, NDManager parent) {
        checkCompatible(model, config);
        Method method = config.getMethod();
        this.config = config;
        manager = parent.newSubManager();
        generator = new LadderGenerator(model);
        RandomStream initial = RandomStream.seeded(config.getSeed());
        generator.initialize(
                manager, DataType.FLOAT32, initial, generator.inputShapes(config.getBatchSize()));
        trainable = new ParameterList();
        for (Pair<String, Parameter> pair : generator.getParameters()) {
            trainable.add(pair.getKey(), pair.getValue());
        }
        if (method.isVariational()) {
            // drawn after the generator's, so that the generator starts where a short-run one does
            encoder = new LadderEncoder(model);
            encoder.initialize(manager, DataType.FLOAT32, initial, config.getBatchSize());
            for (Pair<String, Parameter> pair : encoder.getParameters()) {
                trainable.add(ENCODER_PREFIX + pair.getKey(), pair.getValue());
            }
            posterior =
                    method == Method.LVAE
                            ? AmortisedPosterior.ladder()
                            : AmortisedPosterior.independent();
        } else {
            encoder = null;
            posterior = null;
        }
        if (method.isLangevinAutoencoder()) {
            langevinEncoder = new LangevinEncoder(model);
            langevinEncoder.initialize(manager, DataType.FLOAT32, initial, config.getBatchSize());
            for (Pair<String, Parameter> pair : langevinEncoder.getParameters()) {
                // W is sampled, not optimised
                if (pair.getValue() != langevinEncoder.getProjection()) {
                    trainable.add(ENCODER_PREFIX + pair.getKey(), pair.getValue());
                }
            }
            amortisedLangevin =
                    AmortisedLangevin.builder()
                            .setStepSize(config.getStepSize())
                            .optSteps(config.getSteps())
                            .optMetropolis(config.isMetropolis())
                            .build();
        } else {
            langevinEncoder = null;
            amortisedLangevin = null;
        }
        if (method.hasEnergyPrior()) {
            prior = new EnergyPrior(langevinEncoder.latentDimension());
            prior.initialize(manager, DataType.FLOAT32, initial, config.getBatchSize());
            for (Pair<String, Parameter> pair : prior.getParameters()) {
                trainable.add(PRIOR_PREFIX + pair.getKey(), pair.getValue());
            }
            priorLangevin = new PriorLangevin(config.getPriorSteps(), config.getPriorStepSize());
        } else {
            prior = null;
            priorLangevin = null;
        }
        codeUpdate =
                method == Method.GLO
                        ? new ProjectedGradient(config.getSteps(), config.getCodeLearningRate())
                        : null;
        klWeight = config.klWeight();
        parameterStore = new ParameterStore(manager, false);
        adam = new Adam(manager, config.getBeta1(), 0.999f, 1e-8f);
        learningRate = config.learningRate();
        sigma = config.sigma();
        Langevin.Builder sampler =
                Langevin.builder().setSteps(config.getSteps()).setStepSize(config.getStepSize());
        if (config.getStepSizes() != null) {
            sampler.optStepSizes(config.getStepSizes());
        }
        langevin = sampler.build();
    }

    /**
     * Refuses a method that cannot learn a model, before anything is built: Ladder-VAE needs the
     * Gaussian priors that only the released parameterisation has, and only the Langevin methods
     * have a step size to tune.
     *
     * @param model the architecture
     * @param config the training settings
     * @throws InputException if the method cannot learn the model
     */
    public static void checkCompatible(LadderConfig model, LearningConfig config) {
        Method method = config.getMethod();
        if (config.getStepSizeTuning() != null
                && method != Method.SHORTRUN
                && method != Method.ABP) {
            // amortised Langevin's eta is not the s the variational objective is about
            throw new InputException(
                    "the step size is Langevin's, and "
                            + method.name().toLowerCase(Locale.ROOT)
                            + " does not train with Langevin dynamics; leave out the step-size"
                            + " tuning");
        }
        if (method == Method.LVAE
                && model.getLayers() > 1
                && model.getParameterisation() != Parameterisation.RELEASED) {
            throw new InputException(
                    "Ladder-VAE merges each layer's Gaussian prior with its encoder's, and the "
                            + model.getParameterisation().name().toLowerCase(Locale.ROOT)
                            + " parameterisation has none; use the released one");
        }
    }

    /** Prefixes the encoder's parameter names among the parameters Adam updates and saves. */
    static final String ENCODER_PREFIX = "encoder.";

    /** Prefixes the energy-based prior's parameter names among the parameters Adam updates. */
    static final String PRIOR_PREFIX = "prior.";

    private static final NDIndex ALL = new NDIndex("...");

    /**
     * @return the generator being learned
     */
    public LadderGenerator getGenerator() {
        return generator;
    }

    /**
     * @return the encoder of a VAE or Ladder-VAE ({@link Method#isVariational}), or null
     */
    public LadderEncoder getEncoder() {
        return encoder;
    }

    /**
     * @return the encoder of a Langevin autoencoder ({@link Method#isLangevinAutoencoder}), or null
     */
    public LangevinEncoder getLangevinEncoder() {
        return langevinEncoder;
    }

    /**
     * @return the energy-based latent prior ({@link Method#hasEnergyPrior}), or null
     */
    public EnergyPrior getPrior() {
        return prior;
    }

    /**
     * @return the sampler of the encoder's final linear map ({@link Method#isLangevinAutoencoder}),
     *     or null
     */
    public AmortisedLangevin getAmortisedLangevin() {
        return amortisedLangevin;
    }

    /**
     * @return the sampler of the energy-based prior ({@link Method#hasEnergyPrior}), or null
     */
    public PriorLangevin getPriorLangevin() {
        return priorLangevin;
    }

    /**
     * @return whichever encoder the method learns, for the checkpoint's {@code encoder.bin}; or
     *     null
     */
    Block encoderBlock() {
        return encoder != null ? encoder : langevinEncoder;
    }

    /**
     * @return every parameter the optimiser updates: the generator's, then the encoder's
     */
    ParameterList getTrainableParameters() {
        return trainable;
    }

    /**
     * @return the summed squared error of the last step's batch before its update; NaN before any
     */
    public float getLastSquaredError() {
        return lastSquaredError;
    }

    /**
     * @return the store the generator reads its parameters from
     */
    public ParameterStore getParameterStore() {
        return parameterStore;
    }

    /**
     * @return the training settings
     */
    public LearningConfig getConfig() {
        return config;
    }

    /**
     * @return the manager owning the parameters
     */
    NDManager getManager() {
        return manager;
    }

    /**
     * @return the optimiser
     */
    Adam getAdam() {
        return adam;
    }

    /**
     * @return the number of iterations done
     */
    public long getIteration() {
        return iteration;
    }

    void setIteration(long iteration) {
        this.iteration = iteration;
    }

    /**
     * @return the sampler used for inference, with the current step size
     */
    public Langevin getLangevin() {
        return langevin;
    }

    /**
     * Replaces the sampler used for inference from now on.
     *
     * @param langevin the sampler
     */
    public void setLangevin(Langevin langevin) {
        this.langevin = langevin;
    }

    /**
     * Sets the Langevin step size s used from now on, shared by every step.
     *
     * @param stepSize the new step size
     */
    public void setStepSize(float stepSize) {
        langevin = langevin.withStepSize(stepSize);
    }

    /**
     * Sets a step size per Langevin step, s_1..s_K, used from now on.
     *
     * @param stepSizes K positive sizes
     * @throws IllegalArgumentException if there are not K of them or one is not positive
     */
    public void setStepSizes(float[] stepSizes) {
        langevin = langevin.withStepSizes(stepSizes);
    }

    /**
     * @return sigma at the current iteration
     */
    public float currentSigma() {
        return (float) sigma.valueAt(iteration);
    }

    /**
     * @return the learning rate at the current iteration
     */
    public float currentLearningRate() {
        return (float) learningRate.valueAt(iteration);
    }

    /**
     * Gives the learner its training set's size, which {@link Method#ABP} keeps one persistent
     * latent per example for: drawn from the seed the first time, checked against a restored
     * checkpoint's after that.
     *
     * @param count the number of training examples
     * @throws InputException if restored latents are for another number of examples
     */
    public void prepareFor(int count) {
        if (!config.getMethod().isPersistent()) {
            return;
        }
        if (persistent == null) {
            int[] z = generator.getConfig().getZDims();
            persistent =
                    config.getMethod() == Method.GLO
                            ? PersistentLatents.onSphere(count, z, config.getSeed())
                            : PersistentLatents.drawn(count, z, config.getSeed());
        } else if (persistent.count() != count) {
            throw new InputException(
                    "the checkpoint keeps persistent latents for "
                            + persistent.count()
                            + " training examples, but the data has "
                            + count);
        }
    }

    /**
     * @return the persistent latents of {@link Method#ABP} or the codes of {@link Method#GLO}, or
     *     null
     */
    PersistentLatents getPersistentLatents() {
        return persistent;
    }

    void setPersistentLatents(PersistentLatents latents) {
        persistent = latents;
        codeGaussian = null;
    }

    /**
     * Infers the latents of held-out images by the method's own inference: K Langevin steps from
     * noise (short-run inference and ABP), the posterior means (VAE, Ladder-VAE), one pass of the
     * encoder with its current W (LAE, CLAE), or K projected gradient steps from draws of the
     * fitted code Gaussian (GLO). The generator is left as it is.
     *
     * @param x the images; the latents go to their manager
     * @param stream where any random draws come from
     * @return the latents, top first
     */
    public NDList inferLatents(NDArray x, RandomStream stream) {
        switch (config.getMethod()) {
            case LVAE, VAE:
                return posterior.pass(generator, encoder, parameterStore, x, null, false).latents();
            case LAE, CLAE:
                return LangevinEncoder.split(
                        langevinEncoder
                                .forward(parameterStore, new NDList(x), false)
                                .singletonOrThrow(),
                        generator.getConfig().getZDims());
            case GLO:
                return codeUpdate.infer(
                        generator,
                        parameterStore,
                        x,
                        codeGaussian().sample(x.getManager(), (int) x.getShape().get(0), stream));
            default:
                return langevin.infer(
                                generator, parameterStore, x, null, currentSigma(), false, stream)
                        .getLatents();
        }
    }

    /**
     * Draws latents from the model's prior: N(0, I) on the whitened latents, for {@link Method#GLO}
     * the Gaussian fitted to the codes, and for {@link Method#CLAE} short-run Langevin samples of
     * the energy-based prior.
     *
     * @param target the manager the latents go to
     * @param count how many
     * @param stream where the draws come from
     * @return one {@code [count, z_l]} array per layer, top first
     */
    public NDList drawLatents(NDManager target, int count, RandomStream stream) {
        if (config.getMethod() == Method.GLO) {
            return codeGaussian().sample(target, count, stream);
        }
        if (prior != null) {
            return LangevinEncoder.split(
                    priorLangevin.sample(prior, parameterStore, target, count, stream),
                    generator.getConfig().getZDims());
        }
        return PriorSampler.latents(generator, target, count, stream);
    }

    /**
     * The full-covariance Gaussian fitted to GLO's codes as they are now.
     *
     * @return the Gaussian
     * @throws IllegalStateException if the learner keeps no codes
     */
    public CodeGaussian codeGaussian() {
        if (config.getMethod() != Method.GLO || persistent == null) {
            throw new IllegalStateException("only a GLO learner prepared for its data keeps codes");
        }
        if (codeGaussian == null) {
            codeGaussian = CodeGaussian.fit(persistent);
        }
        return codeGaussian;
    }

    /**
     * Runs one iteration on a batch of a method that keeps nothing per example; see {@link
     * #step(NDArray, int[])}.
     *
     * @param x the batch {@code [n, c, h, w]} in [-1, 1]; arrays made here go to its manager
     * @return the method's loss of the batch before the update
     */
    public float step(NDArray x) {
        return step(x, null);
    }

    /**
     * Runs one iteration on a batch: inference of its latents (from noise; with {@link Method#ABP}
     * from the examples' persistent latents, which then keep the result; with an encoder; or GLO's
     * codes, which take a projected gradient step), then one Adam step. Every random draw of
     * iteration t comes from a generator seeded by (seed, t), so a resumed run repeats an
     * uninterrupted one.
     *
     * @param x the batch {@code [n, c, h, w]} in [-1, 1]; arrays made here go to its manager
     * @param indices the batch's examples in the training set; needed by {@link Method#ABP} and
     *     {@link Method#GLO}
     * @return the method's loss of the batch before the update: the summed squared error, or for
     *     VAE and Ladder-VAE the negative ELBO, its KL term weighted by the warm-up ({@link
     *     #getLastSquaredError} has the squared error for every method)
     */
    public float step(NDArray x, int[] indices) {
        float s = currentSigma();
        float lr = currentLearningRate();
        RandomStream stream = RandomStream.ofIteration(config.getSeed(), iteration);
        Method method = config.getMethod();
        if (method.isPersistent() && (persistent == null || indices == null)) {
            throw new IllegalStateException(
                    method + " needs prepareFor(count) and the batch's indices");
        }
        if (method.isLangevinAutoencoder()) {
            return stepAutoencoder(x, s, lr, stream);
        }
        NDManager scope = x.getManager();
        NDList latents = null;
        if (method == Method.ABP) {
            latents =
                    langevin.continueFrom(
                                    generator,
                                    parameterStore,
                                    x,
                                    persistent.gather(scope, indices),
                                    s,
                                    stream)
                            .getLatents();
        } else if (method == Method.SHORTRUN) {
            latents =
                    langevin.infer(generator, parameterStore, x, null, s, false, stream)
                            .getLatents();
        } else if (method == Method.GLO) {
            latents = persistent.gather(scope, indices);
            for (NDArray code : latents) {
                code.setRequiresGradient(true);
            }
        }
        if (!langevin.freezesParameters()) {
            clearGradients();
        }
        float loss;
        float squaredError;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray sse;
            NDArray objective;
            if (method.isAmortised()) {
                AmortisedPosterior.Pass pass =
                        posterior.pass(generator, encoder, parameterStore, x, stream, true);
                sse = x.sub(pass.reconstruction()).square().sum();
                // the negative ELBO; the constants are arrays, not Java numbers (docs/DESIGN.md)
                NDArray likelihoodScale = scope.create(1f / (2f * s * s));
                NDArray klScale = scope.create((float) klWeight.valueAt(iteration));
                objective = sse.mul(likelihoodScale).add(pass.kl().sum().mul(klScale));
            } else {
                NDArray reconstruction =
                        generator.forward(parameterStore, latents, true).singletonOrThrow();
                sse = x.sub(reconstruction).square().sum();
                objective = sse;
            }
            collector.backward(objective);
            loss = objective.getFloat();
            squaredError = sse.getFloat();
        }
        if (!Float.isFinite(loss)) {
            throw new DivergenceException(
                    "the loss is " + loss + " at iteration " + (iteration + 1));
        }
        NDList codes = method == Method.GLO ? codeUpdate.step(latents, scope) : null;
        adam.step(trainable, lr);
        // an update can leave weights or moments non-finite while the loss before it was finite;
        // caught here, the state is never checkpointed
        String nonFinite = adam.describeNonFinite(trainable);
        if (nonFinite != null) {
            throw new DivergenceException(
                    nonFinite + " after the update of iteration " + (iteration + 1));
        }
        if (method.isPersistent()) {
            persistent.scatter(indices, codes != null ? codes : latents);
            codeGaussian = null;
        }
        lastSquaredError = squaredError;
        iteration++;
        return loss;
    }

    /**
     * One iteration of a Langevin autoencoder: amortised Langevin dynamics moves W (one burn-in
     * update, then K whose energies, before each, the trunk and the generator learn from, their
     * mean); for CLAE the prior learns from {@link EnergyPrior#contrastiveLoss} between the latents
     * of those K updates and as many short-run samples of the prior as the batch has; then one Adam
     * step, and W takes where the dynamics ended.
     */
    private float stepAutoencoder(NDArray x, float sigma, float lr, RandomStream stream) {
        AutoencoderPass pass = autoencoderGradients(x, sigma, stream);
        AmortisedLangevin.Result result = pass.result();
        long n = x.getShape().get(0);
        float meanEnergy = 0;
        for (float e : result.energies()) {
            meanEnergy += e;
        }
        float loss = meanEnergy / result.energies().length * n;
        if (!Float.isFinite(loss)) {
            throw new DivergenceException(
                    "the loss is " + loss + " at iteration " + (iteration + 1));
        }
        float priorScale = config.getPriorLearningRateScale();
        adam.step(trainable, lr, name -> name.startsWith(PRIOR_PREFIX) ? priorScale : 1f);
        String nonFinite = adam.describeNonFinite(trainable);
        if (nonFinite != null) {
            throw new DivergenceException(
                    nonFinite + " after the update of iteration " + (iteration + 1));
        }
        if (!isFinite(result.w())) {
            throw new DivergenceException(
                    "the encoder's final linear map W is not finite after the Langevin updates of"
                            + " iteration "
                            + (iteration + 1));
        }
        langevinEncoder.getProjection().getArray().set(ALL, result.w());
        lastAcceptance =
                result.proposals() == 0
                        ? Float.NaN
                        : (float) result.accepted() / result.proposals();
        lastSquaredError = pass.squaredError();
        iteration++;
        return loss;
    }

    /**
     * Where amortised Langevin took W, and the summed squared error at its last learning update.
     */
    record AutoencoderPass(AmortisedLangevin.Result result, float squaredError) {}

    /**
     * The first half of a Langevin autoencoder's iteration: the dynamics of W, leaving in every
     * trainable parameter's gradient what Adam is to step on (the mean over the K learning updates
     * of the batch's summed energy, and for CLAE the contrastive loss). W is not changed.
     */
    AutoencoderPass autoencoderGradients(NDArray x, float sigma, RandomStream stream) {
        int[] zDims = generator.getConfig().getZDims();
        long n = x.getShape().get(0);
        float[] squaredError = {Float.NaN};
        NDList positives = new NDList();
        // the trunk does not change during the dynamics: the passes that learn nothing (burn-in,
        // proposals) share one forward pass of it, without a graph
        NDArray[] fixedFeatures = {null};
        AmortisedLangevin.Energy energy =
                (w, learn) -> {
                    if (!learn) {
                        freezeLearnedBlocks(true);
                    }
                    try {
                        NDArray h;
                        if (learn) {
                            h = langevinEncoder.features(parameterStore, x, true);
                        } else {
                            if (fixedFeatures[0] == null) {
                                fixedFeatures[0] =
                                        langevinEncoder.features(parameterStore, x, false);
                            }
                            h = fixedFeatures[0];
                        }
                        NDArray e = LangevinEncoder.project(h, w);
                        PosteriorEnergy u =
                                PosteriorEnergy.of(
                                        generator,
                                        parameterStore,
                                        x,
                                        LangevinEncoder.split(e, zDims),
                                        sigma,
                                        prior,
                                        learn);
                        NDArray sum = u.total().sum();
                        if (learn) {
                            squaredError[0] = u.squaredError().sum().getFloat();
                            if (prior != null) {
                                positives.add(e.stopGradient());
                            }
                        }
                        return sum;
                    } finally {
                        if (!learn) {
                            freezeLearnedBlocks(false);
                        }
                    }
                };
        Parameter projection = langevinEncoder.getProjection();
        AmortisedLangevin.Result result;
        if (prior != null) {
            // the prior learns from the contrastive loss below, not from the samples' energy
            prior.freezeParameters(true);
        }
        try {
            result =
                    amortisedLangevin.run(energy, projection.getArray(), n, x.getManager(), stream);
        } finally {
            if (prior != null) {
                prior.freezeParameters(false);
            }
        }
        if (result.energies().length > 1) {
            // the gradients of the K energies were summed; the parameters learn from their mean
            float share = 1f / result.energies().length;
            for (Parameter p : trainable.values()) {
                try (NDArray grad = p.getArray().getGradient()) {
                    grad.muli(share);
                }
            }
        }
        if (prior != null) {
            NDArray negatives =
                    priorLangevin.sample(prior, parameterStore, x.getManager(), (int) n, stream);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(
                        prior.contrastiveLoss(
                                parameterStore, NDArrays.concat(positives, 0), negatives));
            }
        }
        return new AutoencoderPass(result, squaredError[0]);
    }

    private void freezeLearnedBlocks(boolean freeze) {
        generator.freezeParameters(freeze);
        langevinEncoder.freezeParameters(freeze);
    }

    private static boolean isFinite(NDArray array) {
        try (NDArray finite = array.isInfinite().logicalOr(array.isNaN()).any()) {
            return !finite.getBoolean();
        }
    }

    /**
     * The share of amortised Langevin's proposals the Metropolis-Hastings correction accepted in
     * the last step.
     *
     * @return the acceptance rate; NaN without the correction or before any step
     */
    public float getLastAcceptance() {
        return lastAcceptance;
    }

    private void clearGradients() {
        for (Parameter p : trainable.values()) {
            try (NDArray grad = p.getArray().getGradient()) {
                grad.subi(grad);
            }
        }
    }

    /**
     * Describes the first parameter or optimiser moment that is not finite.
     *
     * @return a description naming the array and the count, or null if every value is finite
     */
    public String describeNonFinite() {
        String nonFinite = adam.describeNonFinite(trainable);
        if (nonFinite == null
                && langevinEncoder != null
                && !isFinite(langevinEncoder.getProjection().getArray())) {
            return "the encoder's final linear map W holds a non-finite value";
        }
        if (nonFinite == null && persistent != null && !persistent.isFinite()) {
            return config.getMethod() == Method.GLO
                    ? "the codes hold a non-finite value"
                    : "the persistent latents hold a non-finite value";
        }
        return nonFinite;
    }

    static int iterationSeed(long seed, long iteration) {
        long h = seed * 0x9E3779B97F4A7C15L + iteration * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        return (int) (h & 0x7fffffff);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        adam.close();
        manager.close();
    }
}
