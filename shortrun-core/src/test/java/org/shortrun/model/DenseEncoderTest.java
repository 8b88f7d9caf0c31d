package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;
import org.shortrun.engine.GradientCheck;

/** The VAE's encoder for a generator other than the ladder: its gradients match float64. */
class DenseEncoderTest {

    /**
     * The encoder's gradients, for the images and every parameter of the trunk and of both heads,
     * against float64 at the shapes a VAE of a user's MNIST decoder trains: the default hidden
     * units, a flat latent, a latent of rank 2 and two latents, batch 2 and 64.
     */
    @Test
    void gradientsMatchFloat64() {
        Shape[][] latents = {
            {new Shape(20)}, {new Shape(2, 3)}, {new Shape(4), new Shape(2, 3)},
        };
        for (Shape[] latent : latents) {
            for (int batch : new int[] {2, 64}) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    BlockGenerator generator = BlockGenerator.of(DenseEncoderTest::mlp, latent);
                    DenseEncoder single = new DenseEncoder(generator, DenseEncoder.DEFAULT_UNITS);
                    single.initialize(manager, DataType.FLOAT32, RandomStream.seeded(4), batch);
                    DenseEncoder reference = single.copyAs(DataType.FLOAT64, manager);
                    Shape input = new Shape(batch).addAll(generator.getImageShape());
                    GradientCheck.Result r =
                            GradientCheck.compare(
                                    new Concatenated(single),
                                    new Concatenated(reference),
                                    new Shape[] {input},
                                    17L + batch,
                                    manager);
                    assertTrue(
                            r.agrees(),
                            "latents " + Arrays.toString(latent) + " batch " + batch + ": " + r);
                }
            }
        }
    }

    /**
     * A user's MNIST decoder: its latents flattened and joined, two Linear layers, a 1 x 28 x 28
     * image.
     */
    static Block mlp() {
        return new SequentialBlock()
                .add(DenseEncoderTest::flattenAndJoin)
                .add(Linear.builder().setUnits(64).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(28 * 28).build())
                .add(Activation::tanh)
                .addSingleton(x -> x.reshape(-1, 1, 28, 28));
    }

    private static NDList flattenAndJoin(NDList arrays) {
        NDList flat = new NDList(arrays.size());
        for (NDArray a : arrays) {
            flat.add(a.reshape(a.getShape().get(0), -1));
        }
        return new NDList(NDArrays.concat(flat, 1));
    }

    /**
     * The encoder's outputs, each flattened and joined along the feature axis, as the one output
     * {@link GradientCheck} compares: {@code [n, 2 d]}.
     */
    private static final class Concatenated extends AbstractBlock {

        private final Block encoder;

        Concatenated(Block encoder) {
            this.encoder = addChildBlock("encoder", encoder);
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore parameterStore,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            return flattenAndJoin(encoder.forward(parameterStore, inputs, training));
        }

        /** The encoder comes initialised; its parameters are left as they are. */
        @Override
        protected void initializeChildBlocks(
                NDManager manager, DataType dataType, Shape... inputShapes) {}

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] shapes = encoder.getOutputShapes(inputShapes);
            long size = 0;
            for (Shape s : shapes) {
                size += s.size() / s.get(0);
            }
            return new Shape[] {new Shape(inputShapes[0].get(0), size)};
        }
    }
}
