package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The mean and standard-deviation heads that turn a layer's feature map into the Gaussian of the
 * latent below it. Input {@code [n, channels, 16, 16]}; output {@code (mu, sd)}, each {@code [n,
 * zDim]}.
 */
public final class GaussianHead extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int zDim;
    private final SdHead sdHead;
    private final Block mean;
    private final Block rawSd;

    /**
     * Creates the heads for a latent of {@code zDim} dimensions.
     *
     * @param channels channels of the incoming feature map
     * @param zDim dimension of the latent below
     * @param sdHead how the standard deviation is formed
     */
    public GaussianHead(int channels, int zDim, SdHead sdHead) {
        super(VERSION);
        this.zDim = zDim;
        this.sdHead = sdHead;
        mean = addChildBlock("mean", Layers.headBranch(channels, zDim));
        rawSd = addChildBlock("sd", Layers.headBranch(channels, zDim));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray mu = mean.forward(parameterStore, inputs, training).singletonOrThrow();
        NDArray raw = rawSd.forward(parameterStore, inputs, training).singletonOrThrow();
        return new NDList(mu, sdHead.toSd(raw));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape out = new Shape(inputShapes[0].get(0), zDim);
        return new Shape[] {out, out};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        mean.initialize(manager, dataType, inputShapes);
        rawSd.initialize(manager, dataType, inputShapes);
    }
}
