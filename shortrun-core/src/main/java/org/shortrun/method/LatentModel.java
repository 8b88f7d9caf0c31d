package org.shortrun.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Map;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LatentGenerator;

/**
 * A learned latent-variable model: a generator with what its learning method learned beside it (an
 * encoder, codes, a prior). It infers the latents of images and draws latents from its prior as its
 * method does, and as a DJL Block it generates images from latents, so that a {@code Predictor} can
 * run it. A {@link org.shortrun.training.Learner} holds one while it learns; a checkpoint loads one
 * for inference.
 */
public final class LatentModel extends AbstractBlock {

    private static final byte VERSION = 1;

    private final LatentGenerator generator;
    private final LearningMethod method;
    private final MethodState state;
    private final ParameterStore parameterStore;
    private float sigma;

    /**
     * Puts a generator and its method's state together.
     *
     * @param generator the generator, initialised or loaded
     * @param method the method
     * @param state the method's state on this generator
     * @param parameterStore the store both read their parameters from
     * @param sigma the observation noise the model was learned at, inference's unless told
     *     otherwise
     */
    public LatentModel(
            LatentGenerator generator,
            LearningMethod method,
            MethodState state,
            ParameterStore parameterStore,
            float sigma) {
        super(VERSION);
        this.sigma = sigma;
        this.generator = addChildBlock("generator", generator);
        this.method = method;
        this.state = state;
        this.parameterStore = parameterStore;
        for (Map.Entry<String, Block> block : state.getBlocks().entrySet()) {
            addChildBlock(block.getKey().replaceFirst("\\.bin$", ""), block.getValue());
        }
    }

    /**
     * @return the generator
     */
    public LatentGenerator getGenerator() {
        return generator;
    }

    /**
     * @return the method that learned the model
     */
    public LearningMethod getMethod() {
        return method;
    }

    /**
     * @return the method's state: its blocks and what it keeps
     */
    public MethodState getState() {
        return state;
    }

    /**
     * @return the store the model reads its parameters from
     */
    public ParameterStore getParameterStore() {
        return parameterStore;
    }

    /**
     * @return the observation noise the model was learned at: inference's unless told otherwise
     */
    public float getSigma() {
        return sigma;
    }

    /**
     * Sets the observation noise the model was learned at, as a run anneals it.
     *
     * @param sigma sigma
     */
    public void setSigma(float sigma) {
        this.sigma = sigma;
    }

    /**
     * Infers the latents of images as the model's method does, at the model's sigma.
     *
     * @param x the images {@code [n, c, h, w]} in [-1, 1]; the latents go to their manager
     * @param stream where any random draws come from
     * @return the latents, top first
     */
    public NDList inferLatents(NDArray x, RandomStream stream) {
        return state.inferLatents(x, sigma, stream);
    }

    /**
     * Infers the latents of images with another Langevin sampler than the model's own, for a model
     * that infers by Langevin dynamics; the model is left as it is.
     *
     * @param x the images {@code [n, c, h, w]} in [-1, 1]; the latents go to their manager
     * @param sigma the observation noise
     * @param stream where the draws come from
     * @param sampler the sampler, or null for the model's own inference
     * @return the latents, top first
     * @throws UnsupportedOperationException if a sampler is given and the model infers otherwise
     */
    public NDList inferLatents(NDArray x, float sigma, RandomStream stream, Langevin sampler) {
        if (sampler == null) {
            return state.inferLatents(x, sigma, stream);
        }
        if (!infersByLangevin()) {
            throw new UnsupportedOperationException(
                    method.getName() + " does not infer by Langevin dynamics");
        }
        return sampler.infer(generator, parameterStore, x, null, sigma, false, stream).getLatents();
    }

    /**
     * Infers the latents of images as the model's method does: Langevin dynamics from noise, an
     * encoder's posterior means or pass, or a code search.
     *
     * @param x the images {@code [n, c, h, w]} in [-1, 1]; the latents go to their manager
     * @param sigma the observation noise
     * @param stream where any random draws come from
     * @return the latents, top first
     */
    public NDList inferLatents(NDArray x, float sigma, RandomStream stream) {
        return state.inferLatents(x, sigma, stream);
    }

    /**
     * Draws latents from the model's prior.
     *
     * @param manager the manager the latents go to
     * @param count how many
     * @param stream where the draws come from
     * @return one {@code [count, ...]} array per latent, top first
     */
    public NDList drawLatents(NDManager manager, int count, RandomStream stream) {
        return state.drawLatents(manager, count, stream);
    }

    /**
     * Generates images from latents.
     *
     * @param latents the latents, top first
     * @return the images {@code [n, c, h, w]} in [-1, 1]
     */
    public NDArray generate(NDList latents) {
        return generator.forward(parameterStore, latents, false).singletonOrThrow();
    }

    /**
     * The Langevin sampler the model infers with where its method does so, and otherwise the
     * sampler inference from the observed pixels alone (inpainting) takes: the released script's K
     * = 25 and s = 0.05.
     *
     * @return the sampler
     */
    public Langevin getLangevin() {
        Langevin own = state.getLangevin();
        return own != null ? own : Langevin.builder().build();
    }

    /**
     * Whether the model's method infers by Langevin dynamics, so that its sampler can be replaced.
     *
     * @return true for short-run inference and ABP
     */
    public boolean infersByLangevin() {
        return state.getLangevin() != null;
    }

    /**
     * Replaces the Langevin sampler the model infers with.
     *
     * @param langevin the sampler
     * @throws UnsupportedOperationException if the method infers otherwise
     */
    public void setLangevin(Langevin langevin) {
        state.setLangevin(langevin);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return generator.forward(parameterStore, inputs, training, params);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return generator.getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        throw new IllegalStateException(
                "a latent model is made of initialised blocks; it is not initialised itself");
    }
}
