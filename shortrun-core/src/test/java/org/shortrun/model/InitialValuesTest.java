package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;

/**
 * Every parameter of a generator (and of the blocks the methods learn beside it) starts as PyTorch
 * starts its layers: uniform within 1/sqrt(fan-in), weights and biases alike, the fan-in taken as
 * PyTorch takes it for each kind of layer: a Linear's input features, a convolution's input
 * channels times its kernel area, a transposed convolution's output channels times its kernel area
 * ({@code weight.size(1)} of its {@code [in, out, k, k]} weight). The bound is worked out here from
 * the layer's kind and shape, not from the library's initialiser; a layer of a kind this test does
 * not know fails it, so that a new kind is checked deliberately.
 */
class InitialValuesTest {

    @Test
    void theLadderGeneratorStartsAtPyTorchsDefaults() {
        for (LadderConfig config :
                new LadderConfig[] {
                    LadderConfig.builder()
                            .setZDims(16, 32, 64)
                            .optChannels(16)
                            .optImageChannels(1)
                            .build(),
                    LadderConfig.builder()
                            .setZDims(8, 8)
                            .optChannels(32)
                            .optImageSize(64)
                            .optParameterisation(Parameterisation.LADDER)
                            .build()
                }) {
            try (NDManager manager = NDManager.newBaseManager()) {
                LadderGenerator g = new LadderGenerator(config);
                g.initialize(manager, DataType.FLOAT32, RandomStream.seeded(3), 2);
                checkEveryParameter(g, config.toString());
            }
        }
    }

    @Test
    void theMethodsBlocksStartAtPyTorchsDefaults() {
        LadderConfig config =
                LadderConfig.builder().setZDims(4, 8).optChannels(16).optImageChannels(1).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            RandomStream stream = RandomStream.seeded(5);
            LadderEncoder ladder = new LadderEncoder(config);
            ladder.initialize(manager, DataType.FLOAT32, stream, 2);
            checkEveryParameter(ladder, "ladder encoder");
            LangevinEncoder langevin = new LangevinEncoder(config);
            langevin.initialize(manager, DataType.FLOAT32, stream, 2);
            checkEveryParameter(langevin, "Langevin encoder");
            EnergyPrior prior = new EnergyPrior(12);
            prior.initialize(manager, DataType.FLOAT32, stream, 2);
            checkEveryParameter(prior, "energy prior");
            BlockGenerator mlp = BlockGenerator.of(InitialValuesTest::mlp, new Shape(10));
            DenseEncoder dense = new DenseEncoder(mlp, 64);
            dense.initialize(manager, DataType.FLOAT32, stream, 2);
            checkEveryParameter(dense, "dense encoder");
        }
    }

    @Test
    void aUsersBlockStartsAtPyTorchsDefaultsDrawnFromTheSeed() {
        float[][] first = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (NDManager manager = NDManager.newBaseManager()) {
                BlockGenerator g =
                        BlockGenerator.of(InitialValuesTest::convolutional, new Shape(6));
                g.initialize(manager, DataType.FLOAT32, RandomStream.seeded(11), 2);
                checkEveryParameter(g, "a user's block");
                first[run] = g.getParameters().get(0).getValue().getArray().toFloatArray();
            }
        }
        assertArrayEquals(first[0], first[1], "the same seed, the same parameters");
    }

    /** A decoder with Linear layers only. */
    static Block mlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(32).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(64).build())
                .add(Activation::tanh)
                .addSingleton(x -> x.reshape(-1, 1, 8, 8));
    }

    /** A decoder with DJL's own convolution, whose weights DJL would draw otherwise. */
    static Block convolutional() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(4 * 8 * 8).build())
                .addSingleton(x -> x.reshape(-1, 4, 8, 8))
                .add(
                        Conv2d.builder()
                                .setKernelShape(new Shape(3, 3))
                                .optPadding(new Shape(1, 1))
                                .setFilters(1)
                                .build())
                .add(Activation::tanh);
    }

    private static void checkEveryParameter(Block root, String what) {
        Map<Parameter, Boolean> seen = new IdentityHashMap<>();
        visit(root, what, seen);
        for (Pair<String, Parameter> p : root.getParameters()) {
            assertTrue(seen.containsKey(p.getValue()), what + ": " + p.getKey() + " not checked");
        }
    }

    private static void visit(Block block, String what, Map<Parameter, Boolean> seen) {
        Parameter weight = null;
        for (Parameter p : block.getDirectParameters().values()) {
            if (p.getType() == Parameter.Type.WEIGHT) {
                weight = p;
            }
        }
        for (Pair<String, Parameter> pair : block.getDirectParameters()) {
            Parameter p = pair.getValue();
            long fanIn = fanIn(block, p == weight || weight == null ? p : weight, what);
            check(
                    p,
                    1 / Math.sqrt(fanIn),
                    what + " " + block.getClass().getSimpleName() + "." + pair.getKey());
            seen.put(p, true);
        }
        for (Block child : block.getChildren().values()) {
            visit(child, what, seen);
        }
    }

    /** The fan-in as PyTorch computes it for this kind of layer, from its weight's shape. */
    private static long fanIn(Block block, Parameter weight, String what) {
        Shape w = weight.getArray().getShape();
        if (block instanceof Linear) {
            return w.get(1); // [out, in]
        }
        if (block instanceof TransposedConv2d) {
            return w.get(1) * w.get(2) * w.get(3); // [in, out, k, k]: out * k * k
        }
        if (block instanceof Conv2d) {
            return w.get(1) * w.get(2) * w.get(3); // [out, in, k, k]: in * k * k
        }
        if (block instanceof LangevinEncoder) {
            return w.get(1); // W, [d, features]: a Linear from the features without bias
        }
        fail(
                what
                        + ": a parameter of "
                        + block.getClass().getName()
                        + ", a kind this test does not know");
        return 0;
    }

    /** Within the bound, and a standard deviation near bound / sqrt(3) for a uniform draw. */
    private static void check(Parameter p, double bound, String what) {
        float[] v = p.getArray().toFloatArray();
        double sum = 0;
        double squares = 0;
        double max = 0;
        for (float x : v) {
            sum += x;
            squares += (double) x * x;
            max = Math.max(max, Math.abs(x));
        }
        assertTrue(max <= bound * (1 + 1e-6), what + ": " + max + " beyond the bound " + bound);
        int n = v.length;
        if (n >= 16) {
            double mean = sum / n;
            double sd = Math.sqrt(squares / n - mean * mean);
            double expected = bound / Math.sqrt(3);
            // the sample sd of n uniform draws has a relative standard error of about sqrt(0.2/n)
            double tolerance = 5 * Math.sqrt(0.2 / n) + 1e-6;
            assertEquals(
                    1.0,
                    sd / expected,
                    tolerance,
                    what
                            + ": standard deviation "
                            + sd
                            + ", expected "
                            + expected
                            + " (n = "
                            + n
                            + ")");
        }
    }
}
