package org.shortrun.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.IOException;
import java.util.Map;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.inference.PriorSampler;
import org.shortrun.model.LatentGenerator;

/**
 * What a learning method keeps while it learns a generator, and what it does: the blocks it learns
 * beside the generator (an encoder, a prior), the latents it keeps per example, the gradients of an
 * iteration, the inference of held-out images and the draws from its prior. A {@link
 * LearningMethod} makes one for each run or loaded checkpoint; the {@link
 * org.shortrun.training.Learner} owns the optimiser, the schedules and the iteration count.
 */
public abstract class MethodState implements AutoCloseable {

    /**
     * The batch of one learning iteration.
     *
     * @param x the images {@code [n, c, h, w]} in [-1, 1]; arrays made for the iteration go to
     *     their manager
     * @param indices the batch's examples in the training set, or null where the caller has none
     * @param iteration iterations done before this one
     * @param sigma the observation noise at this iteration
     * @param stream where every random draw of the iteration comes from
     */
    public record Batch(
            NDArray x, int[] indices, long iteration, float sigma, RandomStream stream) {}

    /**
     * What an iteration computed before the optimiser's update.
     *
     * @param loss the method's loss of the batch
     * @param squaredError the batch's summed squared reconstruction error
     * @param commit what the method changes once the update is made and found finite (the latents
     *     it keeps, a sampled map); may throw {@link org.shortrun.DivergenceException}
     */
    public record Step(float loss, float squaredError, Runnable commit) {

        /**
         * A step with nothing to commit.
         *
         * @param loss the loss
         * @param squaredError the summed squared error
         */
        public Step(float loss, float squaredError) {
            this(loss, squaredError, () -> {});
        }
    }

    /** The generator being learned. */
    protected final LatentGenerator generator;

    /** The store the generator and the method's blocks read their parameters from. */
    protected final ParameterStore parameterStore;

    /** The manager that owns the method's parameters and arrays. */
    protected final NDManager manager;

    /**
     * Creates the state.
     *
     * @param context the generator, the store and the manager
     */
    protected MethodState(MethodContext context) {
        generator = context.generator();
        parameterStore = context.parameterStore();
        manager = context.manager();
    }

    /**
     * The blocks the method learns beside the generator, by the name of the file the checkpoint
     * keeps each in.
     *
     * @return the blocks, in a fixed order; empty by default
     */
    public Map<String, Block> getBlocks() {
        return Map.of();
    }

    /**
     * The parameters the optimiser updates besides the generator's, named as its state is saved, in
     * a fixed order.
     *
     * @return the parameters; by default those of every block, each block's names prefixed with its
     *     file name without the extension and a dot ("encoder.")
     */
    public ParameterList getTrainableParameters() {
        ParameterList list = new ParameterList();
        for (Map.Entry<String, Block> block : getBlocks().entrySet()) {
            String prefix = block.getKey().replaceFirst("\\.bin$", "") + ".";
            for (Pair<String, Parameter> pair : block.getValue().getParameters()) {
                list.add(prefix + pair.getKey(), pair.getValue());
            }
        }
        return list;
    }

    /**
     * A parameter's learning rate as a multiple of the run's.
     *
     * @param parameter its name among {@link #getTrainableParameters} or the generator's
     * @return the multiple; 1 by default
     */
    public float learningRateScale(String parameter) {
        return 1f;
    }

    /**
     * Tells the method its training set's size, for what it keeps per example; checks a restored
     * state against it.
     *
     * @param imageCount the number of training examples
     * @throws org.shortrun.InputException if restored latents are for another number of examples
     */
    public void prepareFor(int imageCount) {}

    /**
     * One iteration's first half: infers the batch's latents as the method does and leaves in every
     * parameter the optimiser updates the gradient of the method's loss. Nothing the method keeps
     * changes before {@link Step#commit}.
     *
     * @param batch the batch
     * @return the loss, the squared error and what to commit after the update
     */
    public abstract Step computeGradients(Batch batch);

    /**
     * Infers the latents of held-out images as the method does; the parameters are left as they
     * are.
     *
     * @param x the images {@code [n, c, h, w]}; the latents go to their manager
     * @param sigma the observation noise
     * @param stream where any random draws come from
     * @return the latents, top first
     */
    public abstract NDList inferLatents(NDArray x, float sigma, RandomStream stream);

    /**
     * Draws latents from the model's prior.
     *
     * @param target the manager the latents go to
     * @param count how many
     * @param stream where the draws come from
     * @return one {@code [count, ...]} array per latent, top first; by default N(0, I)
     */
    public NDList drawLatents(NDManager target, int count, RandomStream stream) {
        return PriorSampler.latents(generator, target, count, stream);
    }

    /**
     * The energy a learned prior adds to the latents' N(0, I), {@code E(e)} in {@code p(e) ~
     * exp(-E(e)) N(e; 0, I)}.
     *
     * @param e the latents of every example as one row, {@code [n, d]}
     * @return {@code [n]}, or null where the prior is N(0, I) alone (the default)
     */
    public NDArray priorEnergy(NDArray e) {
        return null;
    }

    /**
     * The Langevin sampler the method infers with, whose step size it owns.
     *
     * @return the sampler, or null for a method that infers otherwise (the default)
     */
    public Langevin getLangevin() {
        return null;
    }

    /**
     * Replaces the Langevin sampler the method infers with.
     *
     * @param langevin the sampler
     * @throws UnsupportedOperationException for a method that infers otherwise
     */
    public void setLangevin(Langevin langevin) {
        throw new UnsupportedOperationException("this method does not infer by Langevin dynamics");
    }

    /**
     * The step size the method takes now, as a run reports it: Langevin's s (or the mean of its
     * per-step sizes), the Langevin autoencoders' eta.
     *
     * @return the step size, or NaN for a method without one (the default)
     */
    public float getStepSize() {
        Langevin langevin = getLangevin();
        return langevin == null ? Float.NaN : langevin.getStepSize();
    }

    /**
     * Describes the first value the method keeps outside its blocks' parameters that is not finite.
     *
     * @return the description, or null if all are finite (the default)
     */
    public String describeNonFinite() {
        return null;
    }

    /**
     * Saves what the method keeps: its blocks, each in its file, and its other files.
     *
     * @param files the checkpoint's files
     * @throws IOException if one cannot be written
     */
    public void save(StateFiles files) throws IOException {
        for (Map.Entry<String, Block> block : getBlocks().entrySet()) {
            files.saveParameters(block.getKey(), block.getValue());
        }
    }

    /**
     * Loads what {@link #save} wrote.
     *
     * @param files the checkpoint's files
     * @param learning whether learning will go on; without it, what only learning needs (a
     *     persistent chain per training example) may be left unread
     * @throws IOException if one cannot be read or does not fit
     */
    public void load(StateFiles files, boolean learning) throws IOException {
        for (Map.Entry<String, Block> block : getBlocks().entrySet()) {
            files.loadParameters(block.getKey(), block.getValue(), manager);
        }
    }

    /** Releases what the method holds outside its manager; nothing by default. */
    @Override
    public void close() {}
}
