package org.shortrun.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

/**
 * A generator with its optimiser and the state of learning: one {@link #step} is one iteration
 * of Algorithm 1 (short-run inference of the batch's latents, then an Adam step on the summed
 * squared reconstruction error).
 */
public final class Learner implements AutoCloseable {

    private final LadderGenerator generator;
    private final LearningConfig config;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final Adam adam;
    private final Schedule learningRate;
    private final Schedule sigma;
    private Langevin langevin;
    private PersistentLatents persistent;
    private long iteration;

    /**
     * Creates a learner with freshly initialised parameters, drawn from {@code config}'s seed.
     *
     * @param model the architecture
     * @param config the training settings
     * @param parent the manager that will own the parameters
     */
    public Learner(LadderConfig model, LearningConfig config, NDManager parent) {
        this.config = config;
        manager = parent.newSubManager();
        generator = new LadderGenerator(model);
        generator.initialize(manager, DataType.FLOAT32, RandomStream.seeded(config.getSeed()), generator.inputShapes(config.getBatchSize()));
        parameterStore = new ParameterStore(manager, false);
        adam = new Adam(manager, config.getBeta1(), 0.999f, 1e-8f);
        learningRate = config.learningRate();
        sigma = config.sigma();
        langevin = Langevin.builder().setSteps(config.getSteps()).setStepSize(config.getStepSize()).build();
    }

    /** @return the generator being learned */
    public LadderGenerator getGenerator() {
        return generator;
    }

    /** @return the store the generator reads its parameters from */
    public ParameterStore getParameterStore() {
        return parameterStore;
    }

    /** @return the training settings */
    public LearningConfig getConfig() {
        return config;
    }

    /** @return the manager owning the parameters */
    NDManager getManager() {
        return manager;
    }

    /** @return the optimiser */
    Adam getAdam() {
        return adam;
    }

    /** @return the number of iterations done */
    public long getIteration() {
        return iteration;
    }

    void setIteration(long iteration) {
        this.iteration = iteration;
    }

    /** @return the sampler used for inference, with the current step size */
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
     * Sets the Langevin step size s used from now on.
     *
     * @param stepSize the new step size
     */
    public void setStepSize(float stepSize) {
        langevin = langevin.withStepSize(stepSize);
    }

    /** @return sigma at the current iteration */
    public float currentSigma() {
        return (float) sigma.valueAt(iteration);
    }

    /** @return the learning rate at the current iteration */
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
        if (config.getMethod() != Method.ABP) {
            return;
        }
        if (persistent == null) {
            persistent = PersistentLatents.drawn(count, generator.getConfig().getZDims(), config.getSeed());
        } else if (persistent.count() != count) {
            throw new InputException(
                    "the checkpoint keeps persistent latents for " + persistent.count() + " training examples, but the data has " + count);
        }
    }

    /** @return the persistent latents of {@link Method#ABP}, or null */
    PersistentLatents getPersistentLatents() {
        return persistent;
    }

    void setPersistentLatents(PersistentLatents latents) {
        persistent = latents;
    }

    /**
     * Runs one short-run iteration on a batch; see {@link #step(NDArray, int[])}.
     *
     * @param x the batch {@code [n, c, h, w]} in [-1, 1]; arrays made here go to its manager
     * @return the summed squared error of the batch before the update
     */
    public float step(NDArray x) {
        return step(x, null);
    }

    /**
     * Runs one iteration on a batch: inference of its latents (from noise, or with {@link
     * Method#ABP} from the examples' persistent latents, which then keep the result), then one
     * Adam step. Every random draw of iteration t comes from a generator seeded by (seed, t), so a
     * resumed run repeats an uninterrupted one.
     *
     * @param x the batch {@code [n, c, h, w]} in [-1, 1]; arrays made here go to its manager
     * @param indices the batch's examples in the training set; needed by {@link Method#ABP}
     * @return the summed squared error of the batch before the update
     */
    public float step(NDArray x, int[] indices) {
        float s = currentSigma();
        float lr = currentLearningRate();
        RandomStream stream = RandomStream.ofIteration(config.getSeed(), iteration);
        NDList latents;
        if (config.getMethod() == Method.ABP) {
            if (persistent == null || indices == null) {
                throw new IllegalStateException("alternating back-propagation needs prepareFor(count) and the batch's indices");
            }
            latents = langevin.continueFrom(generator, parameterStore, x, persistent.gather(x.getManager(), indices), s, stream).getLatents();
        } else {
            latents = langevin.infer(generator, parameterStore, x, null, s, false, stream).getLatents();
        }
        if (!langevin.freezesParameters()) {
            clearGradients();
        }
        float loss;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray reconstruction = generator.forward(parameterStore, latents, true).singletonOrThrow();
            NDArray sse = x.sub(reconstruction).square().sum();
            collector.backward(sse);
            loss = sse.getFloat();
        }
        if (!Float.isFinite(loss)) {
            throw new DivergenceException("the loss is " + loss + " at iteration " + (iteration + 1));
        }
        adam.step(generator.getParameters(), lr);
        // an update can leave weights or moments non-finite while the loss before it was finite;
        // caught here, the state is never checkpointed
        String nonFinite = adam.describeNonFinite(generator.getParameters());
        if (nonFinite != null) {
            throw new DivergenceException(nonFinite + " after the update of iteration " + (iteration + 1));
        }
        if (persistent != null) {
            persistent.scatter(indices, latents);
        }
        iteration++;
        return loss;
    }

    private void clearGradients() {
        for (Parameter p : generator.getParameters().values()) {
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
        String nonFinite = adam.describeNonFinite(generator.getParameters());
        if (nonFinite == null && persistent != null && !persistent.isFinite()) {
            return "the persistent latents hold a non-finite value";
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
