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
import java.util.ArrayList;
import java.util.List;
import org.shortrun.RandomStream;

/**
 * The bottom-up deterministic path of an amortised posterior (a VAE's encoder, Ladder-VAE's
 * bottom-up pass), the generator's mirror: stride-2 convolutions from the image to a 16 x 16
 * feature map, then one residual block per layer from the bottom up, each followed by a Gaussian
 * head for that layer's latent.
 *
 * <p>Input: images {@code [n, c, size, size]} in [-1, 1]. Output: {@code mu_1, sd_1, ..., mu_L,
 * sd_L}, top first, each {@code [n, z_l]}; the standard deviations are {@link SdHead#SOFTPLUS},
 * since a posterior must be able to be narrower than its prior.
 */
public final class LadderEncoder extends AbstractBlock {

    private static final byte VERSION = 1;

    private final LadderConfig config;
    private final Block stem;
    private final List<Block> residuals = new ArrayList<>();
    private final List<Block> heads = new ArrayList<>();

    /**
     * Creates an uninitialised encoder for a generator's architecture.
     *
     * @param config the generator's architecture, whose image and latent shapes it mirrors
     */
    public LadderEncoder(LadderConfig config) {
        super(VERSION);
        this.config = config;
        int nf = config.getChannels();
        stem = addChildBlock("stem", Layers.encoderStem(config));
        int[] z = config.getZDims();
        // built bottom layer first, the order the data flows in
        for (int i = z.length - 1; i >= 0; i--) {
            residuals.add(addChildBlock("deterministic" + i, Layers.residual(nf)));
            heads.add(addChildBlock("head" + i, new GaussianHead(nf, z[i], SdHead.SOFTPLUS)));
        }
    }

    /**
     * @return the architecture it mirrors
     */
    public LadderConfig getConfig() {
        return config;
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
        initialize(manager, dataType, inputShape(batch));
    }

    /**
     * Makes an initialised copy whose parameters hold this encoder's values in another data type,
     * for example float64 to check float32 arithmetic against.
     *
     * @param dataType the copy's data type
     * @param manager the manager that owns the copy's parameters
     * @return the copy
     */
    public LadderEncoder copyAs(DataType dataType, NDManager manager) {
        LadderEncoder copy = new LadderEncoder(config);
        copy.initialize(manager, dataType, inputShape(1));
        Layers.copyValues(this, copy, dataType);
        return copy;
    }

    /**
     * The shape of a batch of images.
     *
     * @param n the batch size
     * @return {@code [n, c, size, size]}
     */
    public Shape inputShape(long n) {
        return new Shape(
                n, config.getImageChannels(), config.getImageSize(), config.getImageSize());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        int layers = config.getLayers();
        NDArray[] out = new NDArray[2 * layers];
        NDArray d = stem.forward(parameterStore, inputs, training).singletonOrThrow();
        for (int j = 0; j < layers; j++) {
            d =
                    residuals
                            .get(j)
                            .forward(parameterStore, new NDList(d), training)
                            .singletonOrThrow();
            NDList gaussian = heads.get(j).forward(parameterStore, new NDList(d), training);
            int layer = layers - 1 - j;
            out[2 * layer] = gaussian.get(0);
            out[2 * layer + 1] = gaussian.get(1);
        }
        return new NDList(out);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long n = inputShapes[0].get(0);
        int[] z = config.getZDims();
        Shape[] shapes = new Shape[2 * z.length];
        for (int i = 0; i < z.length; i++) {
            shapes[2 * i] = new Shape(n, z[i]);
            shapes[2 * i + 1] = new Shape(n, z[i]);
        }
        return shapes;
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        long n = inputShapes[0].get(0);
        stem.initialize(manager, dataType, inputShapes);
        Shape map = new Shape(n, config.getChannels(), LadderConfig.GRID, LadderConfig.GRID);
        for (int j = 0; j < residuals.size(); j++) {
            residuals.get(j).initialize(manager, dataType, map);
            heads.get(j).initialize(manager, dataType, map);
        }
    }
}
