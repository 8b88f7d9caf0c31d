package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.shortrun.RandomStream;

/**
 * The encoder of a Langevin autoencoder, {@code e = W h(x)}: a trunk h (stride-2 convolutions to
 * the 16 x 16 map, a residual block, a stride-2 convolution to 8 x 8, a Linear layer with GELU to
 * {@value #FEATURES} features) and a final linear map W without bias, {@code [d, FEATURES]}, onto
 * the generator's whitened latents of every layer, concatenated top first. The trunk is learned by
 * gradient steps; W is sampled by amortised Langevin dynamics ({@link
 * org.shortrun.inference.AmortisedLangevin}), so the optimiser leaves it alone.
 *
 * <p>For a generator other than the ladder, the trunk is dense: the flattened image, a Linear layer
 * with GELU to {@value #FEATURES} features, and another.
 *
 * <p>Input: images {@code [n, c, h, w]} in [-1, 1]. Output: {@code e}, {@code [n, d]}; {@link
 * Latents#split} gives the generator's latents.
 */
public final class LangevinEncoder extends AbstractBlock {

    /** The number of features h(x) the final linear map acts on. */
    public static final int FEATURES = 256;

    private static final byte VERSION = 1;

    // null for a generator other than the ladder
    private final LadderConfig config;
    private final Shape imageShape;
    private final int latentDimension;
    private final Block trunk;
    private final Parameter projection;

    /**
     * Creates an uninitialised encoder for a ladder generator's architecture.
     *
     * @param config the generator's architecture, whose image and latent shapes it mirrors
     */
    public LangevinEncoder(LadderConfig config) {
        this(
                config,
                new Shape(config.getImageChannels(), config.getImageSize(), config.getImageSize()),
                config.getTotalLatentDim());
    }

    /**
     * Creates an uninitialised encoder for a generator: the ladder's convolutional trunk for a
     * {@link LadderGenerator}, a dense one for any other.
     *
     * @param generator the generator whose image and latent shapes it mirrors
     * @return the encoder
     */
    public static LangevinEncoder of(LatentGenerator generator) {
        if (generator instanceof LadderGenerator ladder) {
            return new LangevinEncoder(ladder.getConfig());
        }
        return new LangevinEncoder(null, generator.getImageShape(), generator.getLatentDimension());
    }

    private LangevinEncoder(LadderConfig config, Shape imageShape, int latentDimension) {
        super(VERSION);
        this.config = config;
        this.imageShape = imageShape;
        this.latentDimension = latentDimension;
        SequentialBlock body;
        if (config != null) {
            int nf = config.getChannels();
            body = Layers.encoderStem(config);
            int side = LadderConfig.GRID / 2;
            body.add(Layers.residual(nf))
                    .add(Layers.conv(nf, nf, 4, 1, 2))
                    .add(Activation::gelu)
                    .add(Blocks.batchFlattenBlock())
                    .add(Layers.linear(nf * side * side, FEATURES))
                    .add(Activation::gelu);
        } else {
            body =
                    new SequentialBlock()
                            .add(Blocks.batchFlattenBlock())
                            .add(Layers.linear(Math.toIntExact(imageShape.size()), FEATURES))
                            .add(Activation::gelu)
                            .add(Layers.linear(FEATURES, FEATURES))
                            .add(Activation::gelu);
        }
        trunk = addChildBlock("trunk", body);
        projection =
                addParameter(
                        Parameter.builder()
                                .setName("projection")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(latentDimension, FEATURES))
                                .optInitializer(new FanInUniform(FEATURES))
                                .build());
    }

    /**
     * @return d, the number of whitened latent values of all latents
     */
    public int latentDimension() {
        return latentDimension;
    }

    /**
     * The final linear map W, {@code [d, FEATURES]}, which amortised Langevin dynamics samples.
     *
     * @return the parameter holding W
     */
    public Parameter getProjection() {
        return projection;
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
    public LangevinEncoder copyAs(DataType dataType, NDManager manager) {
        LangevinEncoder copy = new LangevinEncoder(config, imageShape, latentDimension);
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
        return new Shape(n).addAll(imageShape);
    }

    /**
     * The trunk's features h(x).
     *
     * @param parameterStore the store the parameters are read from
     * @param x the images
     * @param training whether this is a training pass
     * @return {@code [n, FEATURES]}
     */
    public NDArray features(ParameterStore parameterStore, NDArray x, boolean training) {
        return trunk.forward(parameterStore, new NDList(x), training).singletonOrThrow();
    }

    /**
     * The latents {@code e = W h}, one row per example: {@code h W^T}.
     *
     * @param features h, {@code [n, FEATURES]}
     * @param w W, {@code [d, FEATURES]}
     * @return {@code [n, d]}
     */
    public static NDArray project(NDArray features, NDArray w) {
        return features.matMul(w.transpose());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray h = features(parameterStore, inputs.singletonOrThrow(), training);
        NDArray w = parameterStore.getValue(projection, h.getDevice(), training);
        return new NDList(project(h, w));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), latentDimension())};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        trunk.initialize(manager, dataType, inputShapes);
    }
}
