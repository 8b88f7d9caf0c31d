package org.shortrun.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A user's own DJL Block as a {@link LatentGenerator}: its inputs are the declared latents, top
 * first, each with a standard-normal prior, and its output an image batch {@code [n, c, h, w]} in
 * [-1, 1] (end it with a tanh). The block comes from a factory, because the library builds more
 * than one of it: a float64 copy for the gradient checks and the step-size objective, and a fresh
 * one for a loaded checkpoint.
 *
 * <pre>
 *   LatentGenerator g = BlockGenerator.of(() -> myDecoder(), new Shape(20));
 * </pre>
 *
 * <p>Unless {@link Builder#optOwnInitializers} is set, every weight of rank 2 or more and its bias
 * start as PyTorch's layers do (uniform within 1/sqrt(fan-in)), drawn from the run's seeded stream,
 * so the same seed gives the same parameters; other parameters keep their blocks' initialisers.
 */
public final class BlockGenerator extends AbstractBlock implements LatentGenerator {

    private static final byte VERSION = 1;

    private final Supplier<? extends Block> factory;
    private final List<Shape> latentShapes;
    private final Shape imageShape;
    private final boolean ownInitializers;
    private final Block block;

    private BlockGenerator(Builder b) {
        super(VERSION);
        factory = b.factory;
        latentShapes = List.copyOf(b.latentShapes);
        ownInitializers = b.ownInitializers;
        Block made = Objects.requireNonNull(factory.get(), "the block factory returned null");
        block = addChildBlock("block", made);
        if (!ownInitializers) {
            usePyTorchDefaults(block);
        }
        imageShape = b.imageShape != null ? b.imageShape : imageShapeOf(block, latentShapes);
        if (imageShape.dimension() != 3) {
            throw new IllegalArgumentException(
                    "a generator's output must be images [n, c, h, w]; one example is "
                            + imageShape);
        }
    }

    /**
     * Makes a generator of the blocks a factory builds, with the given latents.
     *
     * @param factory builds the block, uninitialised, each time it is called
     * @param latentShapes the latents' shapes without the batch axis, top first
     * @return the generator
     * @throws IllegalArgumentException if no latent is given or the output is not an image batch
     */
    public static BlockGenerator of(Supplier<? extends Block> factory, Shape... latentShapes) {
        Builder b = builder().setBlock(factory);
        for (Shape shape : latentShapes) {
            b.addLatent(shape);
        }
        return b.build();
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the user's block.
     *
     * @return the block inside
     */
    public Block getBlock() {
        return block;
    }

    /** {@inheritDoc} */
    @Override
    public List<Shape> getLatentShapes() {
        return latentShapes;
    }

    /** {@inheritDoc} */
    @Override
    public Shape getImageShape() {
        return imageShape;
    }

    /** {@inheritDoc} */
    @Override
    public BlockGenerator newInstance() {
        Builder b = builder().setBlock(factory).optImageShape(imageShape);
        latentShapes.forEach(b::addLatent);
        if (ownInitializers) {
            b.optOwnInitializers();
        }
        BlockGenerator copy = b.build();
        if (copy.block == block) {
            // a shared block would make the float64 copy the float32 original itself
            throw new IllegalArgumentException(
                    "the generator's factory returned the same block twice; it must build a new"
                            + " one at each call");
        }
        return copy;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return block.forward(parameterStore, inputs, training, params);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0)).addAll(imageShape)};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        block.initialize(manager, dataType, inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "BlockGenerator(latents " + latentShapes + ", image " + imageShape + ")";
    }

    private static Shape imageShapeOf(Block block, List<Shape> latentShapes) {
        Shape[] inputs = new Shape[latentShapes.size()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = new Shape(1).addAll(latentShapes.get(i));
        }
        Shape[] outputs;
        try {
            outputs = block.getOutputShapes(inputs);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "the block cannot tell its output shape ("
                            + e.getMessage()
                            + "); give it with optImageShape",
                    e);
        }
        if (outputs.length != 1) {
            throw new IllegalArgumentException(
                    "a generator's block must output one array, not " + outputs.length);
        }
        return outputs[0].slice(1);
    }

    /** PyTorch's default initialisers on every weight of rank 2 or more and its bias. */
    private static void usePyTorchDefaults(Block block) {
        PairList<String, Parameter> direct = block.getDirectParameters();
        Parameter weight = null;
        for (Parameter p : direct.values()) {
            if (p.getType() == Parameter.Type.WEIGHT) {
                weight = p;
                break;
            }
        }
        for (Parameter p : direct.values()) {
            if (p.getType() == Parameter.Type.WEIGHT
                    && !(p.getInitializer() instanceof FanInUniform)) {
                p.setInitializer(FanInUniform.ofWeight(p, p.getInitializer()));
            } else if (p.getType() == Parameter.Type.BIAS
                    && weight != null
                    && !(p.getInitializer() instanceof FanInUniform)) {
                p.setInitializer(FanInUniform.ofWeight(weight, p.getInitializer()));
            }
        }
        for (Block child : block.getChildren().values()) {
            usePyTorchDefaults(child);
        }
    }

    /** Builds a {@link BlockGenerator}. */
    public static final class Builder {
        private Supplier<? extends Block> factory;
        private final List<Shape> latentShapes = new ArrayList<>();
        private Shape imageShape;
        private boolean ownInitializers;

        Builder() {}

        /**
         * Sets what builds the block: a new, uninitialised block at every call.
         *
         * @param factory the factory
         * @return this builder
         */
        public Builder setBlock(Supplier<? extends Block> factory) {
            this.factory = factory;
            return this;
        }

        /**
         * Adds a latent below those added before.
         *
         * @param shape its shape without the batch axis, e.g. {@code new Shape(20)}
         * @return this builder
         */
        public Builder addLatent(Shape shape) {
            latentShapes.add(shape);
            return this;
        }

        /**
         * Sets the shape of one generated image (default: what the block's {@code getOutputShapes}
         * says).
         *
         * @param imageShape {@code [c, h, w]}
         * @return this builder
         */
        public Builder optImageShape(Shape imageShape) {
            this.imageShape = imageShape;
            return this;
        }

        /**
         * Keeps the initialisers the block's layers come with instead of PyTorch's defaults drawn
         * from the run's seed; DJL's draw from the engine's generator, so the same seed then no
         * longer gives the same parameters.
         *
         * @return this builder
         */
        public Builder optOwnInitializers() {
            this.ownInitializers = true;
            return this;
        }

        /**
         * Builds the generator, calling the factory once.
         *
         * @return the generator
         * @throws IllegalArgumentException if the factory or the latents are missing, or the
         *     block's output is not an image batch
         */
        public BlockGenerator build() {
            if (factory == null) {
                throw new IllegalArgumentException("a generator needs its block: setBlock");
            }
            if (latentShapes.isEmpty()) {
                throw new IllegalArgumentException("a generator needs at least one latent");
            }
            for (Shape shape : latentShapes) {
                if (shape.dimension() == 0 || shape.size() <= 0) {
                    throw new IllegalArgumentException(
                            "a latent's shape must have at least one positive axis, got " + shape);
                }
            }
            return new BlockGenerator(this);
        }
    }
}
