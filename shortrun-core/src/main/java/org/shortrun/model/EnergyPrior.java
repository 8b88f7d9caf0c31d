package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.shortrun.RandomStream;

/**
 * An energy-based latent prior, the exponential tilting of the generator's N(0, I) on its whitened
 * latents: {@code p(e) = exp(-E(e)) N(e; 0, I) / Z}, with E a perceptron (Linear, GELU, Linear,
 * GELU, Linear to one value), as in the latent-space energy-based priors of Pang et al. (2020),
 * whose hidden width {@value #HIDDEN} it takes.
 *
 * <p>Input: the latents of all layers concatenated, {@code [n, d]}. Output: E(e), {@code [n]}.
 */
public final class EnergyPrior extends AbstractBlock {

    /** The width of the hidden layers. */
    public static final int HIDDEN = 200;

    private static final byte VERSION = 1;

    private final int latentDimension;
    private final int hidden;
    private final Block energy;

    /**
     * Creates an uninitialised prior of {@value #HIDDEN} hidden units.
     *
     * @param latentDimension d
     */
    public EnergyPrior(int latentDimension) {
        this(latentDimension, HIDDEN);
    }

    /**
     * Creates an uninitialised prior.
     *
     * @param latentDimension d
     * @param hidden the width of the hidden layers
     */
    public EnergyPrior(int latentDimension, int hidden) {
        super(VERSION);
        this.latentDimension = latentDimension;
        this.hidden = hidden;
        energy =
                addChildBlock(
                        "energy",
                        new SequentialBlock()
                                .add(Layers.linear(latentDimension, hidden))
                                .add(Activation::gelu)
                                .add(Layers.linear(hidden, hidden))
                                .add(Activation::gelu)
                                .add(Layers.linear(hidden, 1))
                                .addSingleton(x -> x.reshape(-1)));
    }

    /**
     * @return d, the dimension of the latents it scores
     */
    public int getLatentDimension() {
        return latentDimension;
    }

    /**
     * Initialises the parameters as the generator's are, drawing from {@code stream}.
     *
     * @param manager the manager that owns the parameters
     * @param dataType the parameters' data type
     * @param stream where the draws come from
     * @param batch the batch size of the shape it is initialised at
     */
    public void initialize(NDManager manager, DataType dataType, RandomStream stream, long batch) {
        Layers.drawInitialValuesFrom(this, stream);
        initialize(manager, dataType, new Shape(batch, latentDimension));
    }

    /**
     * Makes an initialised copy whose parameters hold this prior's values in another data type.
     *
     * @param dataType the copy's data type
     * @param manager the manager that owns the copy's parameters
     * @return the copy
     */
    public EnergyPrior copyAs(DataType dataType, NDManager manager) {
        EnergyPrior copy = new EnergyPrior(latentDimension, hidden);
        copy.initialize(manager, dataType, new Shape(1, latentDimension));
        Layers.copyValues(this, copy, dataType);
        return copy;
    }

    /**
     * E(e) of each example.
     *
     * @param parameterStore the store the parameters are read from
     * @param e {@code [n, d]}
     * @param training whether this is a training pass
     * @return {@code [n]}
     */
    public NDArray energy(ParameterStore parameterStore, NDArray e, boolean training) {
        return forward(parameterStore, new NDList(e), training).singletonOrThrow();
    }

    /**
     * The contrastive loss whose gradient with respect to the prior's parameters is minus that of
     * the mean log-likelihood: {@code mean E(positives) - mean E(negatives)}, positives being
     * posterior samples of the latents and negatives samples of the prior itself. Since {@code
     * d/dalpha log p(x) = E_{p(e|x)}[-dE/dalpha] + E_{p(e)}[dE/dalpha]} (the second term is {@code
     * -d/dalpha log Z}), descending it raises the likelihood; docs/DESIGN.md derives it.
     *
     * @param parameterStore the store the parameters are read from
     * @param positives posterior samples {@code [m, d]}, with no autograd graph of their own
     * @param negatives prior samples {@code [k, d]}, with no autograd graph of their own
     * @return a scalar
     */
    public NDArray contrastiveLoss(
            ParameterStore parameterStore, NDArray positives, NDArray negatives) {
        return energy(parameterStore, positives, true)
                .mean()
                .sub(energy(parameterStore, negatives, true).mean());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return energy.forward(parameterStore, inputs, training);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0))};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        energy.initialize(manager, dataType, inputShapes);
    }
}
