package org.shortrun.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import org.shortrun.DivergenceException;
import org.shortrun.RandomStream;
import org.shortrun.Schedule;
import org.shortrun.inference.Langevin;
import org.shortrun.method.LatentModel;
import org.shortrun.method.LearningMethod;
import org.shortrun.method.MethodContext;
import org.shortrun.method.MethodState;
import org.shortrun.model.LatentGenerator;

/**
 * A generator, its learning method's state, the optimiser and the state of learning: one {@link
 * #step} is one iteration of the configured {@link LearningMethod} (for the paper's, Algorithm 1:
 * short-run inference of the batch's latents, then an Adam step on the summed squared
 * reconstruction error). The method computes the gradients; the learner keeps Adam, the schedules,
 * the iteration count and the checks that nothing diverged.
 */
public final class Learner implements AutoCloseable {

    private final LatentGenerator generator;
    private final LearningConfig config;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final MethodState state;
    private final LatentModel model;
    private final Adam adam;
    private final Schedule learningRate;
    private final Schedule sigma;
    private final ParameterList trainable;
    private float lastSquaredError = Float.NaN;
    private long iteration;

    /**
     * Creates a learner with freshly initialised parameters, drawn from {@code config}'s seed: the
     * generator's first, then the method's blocks'.
     *
     * @param generator the generator to learn, uninitialised; the learner initialises it
     * @param config the training settings
     * @param parent the manager that will own the parameters
     * @throws org.shortrun.InputException if the method cannot learn the generator
     */
    public Learner(LatentGenerator generator, LearningConfig config, NDManager parent) {
        config.getMethod().checkCompatible(generator);
        this.config = config;
        this.generator = generator;
        manager = parent.newSubManager();
        try {
            RandomStream initial = RandomStream.seeded(config.getSeed());
            generator.initialize(manager, DataType.FLOAT32, initial, config.getBatchSize());
            parameterStore = new ParameterStore(manager, false);
            state =
                    config.getMethod()
                            .newState(
                                    new MethodContext(
                                            generator,
                                            parameterStore,
                                            manager,
                                            initial,
                                            config.getBatchSize(),
                                            config.getSeed()));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        model =
                new LatentModel(
                        generator, config.getMethod(), state, parameterStore, config.getSigma());
        trainable = new ParameterList();
        for (Pair<String, Parameter> pair : generator.getParameters()) {
            trainable.add(pair.getKey(), pair.getValue());
        }
        for (Pair<String, Parameter> pair : state.getTrainableParameters()) {
            trainable.add(pair.getKey(), pair.getValue());
        }
        adam = new Adam(manager, config.getBeta1(), 0.999f, 1e-8f);
        learningRate = config.learningRate();
        sigma = config.sigma();
    }

    /**
     * @return the generator being learned
     */
    public LatentGenerator getGenerator() {
        return generator;
    }

    /**
     * @return the generator with what its method learns beside it, for inference and sampling
     */
    public LatentModel getModel() {
        model.setSigma(currentSigma());
        return model;
    }

    /**
     * @return the method's state: its blocks and what it keeps
     */
    public MethodState getMethodState() {
        return state;
    }

    /**
     * @return every parameter the optimiser updates: the generator's, then the method's
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
     * The Langevin sampler the method infers with, whose step size it owns.
     *
     * @return the sampler, or null for a method that infers otherwise
     */
    public Langevin getLangevin() {
        return state.getLangevin();
    }

    /**
     * The step size the method takes now, as metrics.csv reports it.
     *
     * @return Langevin's s (or the mean of its per-step sizes), the Langevin autoencoders' eta; NaN
     *     for a method without one
     */
    public float getStepSize() {
        return state.getStepSize();
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
     * Gives the learner its training set's size, for a method that keeps one latent per example:
     * drawn from the seed the first time, checked against a restored checkpoint's after that.
     *
     * @param count the number of training examples
     * @throws org.shortrun.InputException if restored latents are for another number of examples
     */
    public void prepareFor(int count) {
        state.prepareFor(count);
    }

    /**
     * Infers the latents of held-out images by the method's own inference, at the current sigma;
     * the parameters are left as they are.
     *
     * @param x the images; the latents go to their manager
     * @param stream where any random draws come from
     * @return the latents, top first
     */
    public NDList inferLatents(NDArray x, RandomStream stream) {
        return state.inferLatents(x, currentSigma(), stream);
    }

    /**
     * Draws latents from the model's prior.
     *
     * @param target the manager the latents go to
     * @param count how many
     * @param stream where the draws come from
     * @return one {@code [count, ...]} array per latent, top first
     */
    public NDList drawLatents(NDManager target, int count, RandomStream stream) {
        return state.drawLatents(target, count, stream);
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
     * Runs one iteration on a batch: the method's gradients (its inference of the batch's latents
     * and its loss), one Adam step, then what the method keeps (its persistent latents, a sampled
     * map). Every random draw of iteration t comes from a generator seeded by (seed, t), so a
     * resumed run repeats an uninterrupted one.
     *
     * @param x the batch {@code [n, c, h, w]} in [-1, 1]; arrays made here go to its manager
     * @param indices the batch's examples in the training set; needed by the methods that keep one
     *     latent per example
     * @return the method's loss of the batch before the update ({@link #getLastSquaredError} has
     *     the squared error for every method)
     * @throws DivergenceException if the loss, a parameter or an optimiser moment is not finite
     */
    public float step(NDArray x, int[] indices) {
        float lr = currentLearningRate();
        RandomStream stream = RandomStream.ofIteration(config.getSeed(), iteration);
        MethodState.Step step =
                state.computeGradients(
                        new MethodState.Batch(x, indices, iteration, currentSigma(), stream));
        float loss = step.loss();
        if (!Float.isFinite(loss)) {
            throw new DivergenceException(
                    "the loss is " + loss + " at iteration " + (iteration + 1));
        }
        adam.step(trainable, lr, state::learningRateScale);
        // an update can leave weights or moments non-finite while the loss before it was finite;
        // caught here, the state is never checkpointed
        String nonFinite = adam.describeNonFinite(trainable);
        if (nonFinite != null) {
            throw new DivergenceException(
                    nonFinite + " after the update of iteration " + (iteration + 1));
        }
        step.commit().run();
        lastSquaredError = step.squaredError();
        iteration++;
        return loss;
    }

    /**
     * Describes the first parameter, optimiser moment or value the method keeps that is not finite.
     *
     * @return a description naming the array and the count, or null if every value is finite
     */
    public String describeNonFinite() {
        String nonFinite = adam.describeNonFinite(trainable);
        return nonFinite != null ? nonFinite : state.describeNonFinite();
    }

    /**
     * The seed of what is drawn once before iteration t of a run of this seed (a step-size search's
     * examples and chains).
     *
     * @param seed the run's seed
     * @param iteration t
     * @return a non-negative int seed
     */
    static int iterationSeed(long seed, long iteration) {
        long h = seed * 0x9E3779B97F4A7C15L + iteration * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        return (int) (h & 0x7fffffff);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        state.close();
        adam.close();
        manager.close();
    }
}
