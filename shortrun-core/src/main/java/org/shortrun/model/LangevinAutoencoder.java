package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A trained Langevin autoencoder as one Block, for inference: one pass of the encoder, {@code e = W
 * h(x)}, then the generator. Its energy-based prior, for CLAE, comes along for the anomaly score
 * and for sampling; the forward pass does not use it.
 *
 * <p>Input: images {@code [n, c, size, size]} in [-1, 1]. Output: the reconstruction g(e), then e,
 * {@code [n, d]}.
 */
public final class LangevinAutoencoder extends AbstractBlock {

    private static final byte VERSION = 1;

    private final LangevinEncoder encoder;
    private final LadderGenerator generator;
    private final EnergyPrior prior;

    /**
     * Assembles a trained encoder, generator and prior; their parameters stay where they are.
     *
     * @param encoder the encoder, initialised
     * @param generator the generator, initialised
     * @param prior the energy-based prior, initialised; or null for N(0, I)
     */
    public LangevinAutoencoder(
            LangevinEncoder encoder, LadderGenerator generator, EnergyPrior prior) {
        super(VERSION);
        this.encoder = addChildBlock("encoder", encoder);
        this.generator = addChildBlock("generator", generator);
        this.prior = prior == null ? null : addChildBlock("prior", prior);
        inputShapes = new Shape[] {encoder.inputShape(1)};
        inputNames = java.util.List.of("images");
    }

    /**
     * @return the encoder
     */
    public LangevinEncoder getEncoder() {
        return encoder;
    }

    /**
     * @return the generator
     */
    public LadderGenerator getGenerator() {
        return generator;
    }

    /**
     * @return the energy-based prior, or null for N(0, I)
     */
    public EnergyPrior getPrior() {
        return prior;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray e = encoder.forward(parameterStore, inputs, training).singletonOrThrow();
        NDArray reconstruction =
                generator
                        .forward(
                                parameterStore,
                                LangevinEncoder.split(e, generator.getConfig().getZDims()),
                                training)
                        .singletonOrThrow();
        return new NDList(reconstruction, e);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0], encoder.getOutputShapes(inputShapes)[0]};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        // its parts arrive initialised and trained
    }
}
