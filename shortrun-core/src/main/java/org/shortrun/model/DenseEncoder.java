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
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.shortrun.RandomStream;

/**
 * A VAE's encoder for any {@link LatentGenerator}: the flattened image, two Linear layers with
 * GELU, then per latent a mean and a standard deviation ({@code softplus + 1e-3}), each of the
 * latent's shape. The output pairs {@code (mu_l, sd_l)} come top first, as {@link LadderEncoder}'s
 * do.
 */
public final class DenseEncoder extends AbstractBlock {

    /** The hidden units unless set. */
    public static final int DEFAULT_UNITS = 400;

    private static final byte VERSION = 1;

    private final Shape imageShape;
    private final List<Shape> latentShapes;
    private final int units;
    private final Block trunk;
    private final List<Block> means = new ArrayList<>();
    private final List<Block> sds = new ArrayList<>();

    /**
     * Creates an uninitialised encoder mirroring a generator's shapes.
     *
     * @param generator the generator whose image and latent shapes it mirrors
     * @param units the hidden units of each of the two layers
     */
    public DenseEncoder(LatentGenerator generator, int units) {
        this(generator.getImageShape(), generator.getLatentShapes(), units);
    }

    private DenseEncoder(Shape imageShape, List<Shape> latentShapes, int units) {
        super(VERSION);
        this.imageShape = imageShape;
        this.latentShapes = List.copyOf(latentShapes);
        this.units = units;
        trunk =
                addChildBlock(
                        "trunk",
                        new SequentialBlock()
                                .add(Blocks.batchFlattenBlock())
                                .add(Layers.linear(Math.toIntExact(imageShape.size()), units))
                                .add(Activation::gelu)
                                .add(Layers.linear(units, units))
                                .add(Activation::gelu));
        int[] sizes = Latents.sizes(latentShapes);
        for (int l = 0; l < sizes.length; l++) {
            means.add(addChildBlock("mean" + l, Layers.linear(units, sizes[l])));
            sds.add(addChildBlock("sd" + l, Layers.linear(units, sizes[l])));
        }
    }

    /**
     * Initialises the parameters as a generator's are, drawing from {@code stream}.
     *
     * @param manager the manager that owns the parameters
     * @param dataType the parameters' data type
     * @param stream where the draws come from
     * @param batch the batch size of the shape it is initialised at
     */
    public void initialize(NDManager manager, DataType dataType, RandomStream stream, long batch) {
        Layers.drawInitialValuesFrom(this, stream);
        initialize(manager, dataType, new Shape(batch).addAll(imageShape));
    }

    /**
     * Makes an initialised copy whose parameters hold this encoder's values in another data type.
     *
     * @param dataType the copy's data type
     * @param manager the manager that owns the copy's parameters
     * @return the copy
     */
    public DenseEncoder copyAs(DataType dataType, NDManager manager) {
        DenseEncoder copy = new DenseEncoder(imageShape, latentShapes, units);
        copy.initialize(manager, dataType, new Shape(1).addAll(imageShape));
        Layers.copyValues(this, copy, dataType);
        return copy;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray h = trunk.forward(parameterStore, inputs, training).singletonOrThrow();
        long n = h.getShape().get(0);
        NDList out = new NDList(2 * latentShapes.size());
        for (int l = 0; l < latentShapes.size(); l++) {
            Shape shape = new Shape(n).addAll(latentShapes.get(l));
            NDList hidden = new NDList(h);
            NDArray mu = means.get(l).forward(parameterStore, hidden, training).singletonOrThrow();
            NDArray raw = sds.get(l).forward(parameterStore, hidden, training).singletonOrThrow();
            out.add(mu.reshape(shape));
            out.add(SdHead.SOFTPLUS.toSd(raw).reshape(shape));
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long n = inputShapes[0].get(0);
        Shape[] shapes = new Shape[2 * latentShapes.size()];
        for (int l = 0; l < latentShapes.size(); l++) {
            shapes[2 * l] = new Shape(n).addAll(latentShapes.get(l));
            shapes[2 * l + 1] = shapes[2 * l];
        }
        return shapes;
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        trunk.initialize(manager, dataType, inputShapes);
        Shape hidden = new Shape(inputShapes[0].get(0), units);
        for (int l = 0; l < means.size(); l++) {
            means.get(l).initialize(manager, dataType, hidden);
            sds.get(l).initialize(manager, dataType, hidden);
        }
    }
}
