package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LadderGeneratorTest {

    @ParameterizedTest(name = "z={0} channels={1} image={2}x{3} head={4}")
    @CsvSource({
        "'8', 16, 1, 32, RELEASED",
        "'16,32,64', 16, 1, 32, RELEASED",
        "'4,4,4,4,4', 16, 3, 32, SOFTPLUS",
        "'8,8,8,8,8,8', 32, 3, 32, RELEASED",
        "'8,16', 16, 3, 64, RELEASED"
    })
    void producesImagesInRange(String z, int channels, int imageChannels, int size, SdHead head) {
        int[] dims = java.util.Arrays.stream(z.split(",")).mapToInt(Integer::parseInt).toArray();
        LadderConfig config =
                LadderConfig.builder()
                        .setZDims(dims)
                        .optChannels(channels)
                        .optImageChannels(imageChannels)
                        .optImageSize(size)
                        .optSdHead(head)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(z.hashCode() + channels);
            LadderGenerator g = new LadderGenerator(config);
            g.initialize(manager, DataType.FLOAT32, g.latentShapes(3));
            NDList e = new NDList();
            for (Shape s : g.latentShapes(3)) {
                e.add(manager.randomNormal(s));
            }
            NDArray x = g.forward(new ParameterStore(manager, false), e, false).singletonOrThrow();
            assertArrayEquals(new long[] {3, imageChannels, size, size}, x.getShape().getShape());
            assertTrue(x.abs().max().getFloat() <= 1f);
            assertTrue(g.countParameters() > 0);
        }
    }

    /**
     * The ladder parameterisation, recomputed by hand from the generator's own children in float64:
     * z_2 = GELU(W [mu(h_1); e_2] + b), with and without the skip connection.
     */
    @ParameterizedTest(name = "skip connections {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void theLadderParameterisationIsGeluOfALinearMapOfMeanAndNoise(boolean skip) {
        LadderConfig config =
                LadderConfig.builder()
                        .setZDims(4, 6)
                        .optChannels(16)
                        .optImageChannels(1)
                        .optParameterisation(Parameterisation.LADDER)
                        .optSkipConnections(skip)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(9);
            LadderGenerator single = new LadderGenerator(config);
            single.initialize(manager, DataType.FLOAT32, single.latentShapes(1));
            LadderGenerator g = single.copyAs(DataType.FLOAT64, manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray top = manager.randomNormal(new Shape(3, 4)).toType(DataType.FLOAT64, false);
            NDArray e = manager.randomNormal(new Shape(3, 6)).toType(DataType.FLOAT64, false);
            NDArray image = g.forward(ps, new NDList(top, e), false).singletonOrThrow();

            java.util.Map<String, ai.djl.nn.Block> child = new java.util.HashMap<>();
            g.getChildren()
                    .forEach(p -> child.put(p.getKey().replaceFirst("^\\d+", ""), p.getValue()));
            assertTrue(
                    child.containsKey("merge0") && child.containsKey("head0"),
                    child.keySet().toString());
            NDArray h1 =
                    run(child.get("deterministic0"), ps, run(child.get("projection0"), ps, top));
            NDArray mu = run(child.get("head0"), ps, h1);
            ai.djl.nn.Block linear = child.get("merge0").getChildren().get(0).getValue();
            NDArray w = linear.getParameters().get("weight").getArray();
            NDArray b = linear.getParameters().get("bias").getArray();
            NDArray pre = mu.concat(e, 1).matMul(w.transpose()).add(b);
            // GELU in its exact erf form, written out
            double[] v = pre.toDoubleArray();
            double[] z = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                z[i] = 0.5 * v[i] * (1 + erf(v[i] / Math.sqrt(2)));
            }
            NDArray z2 = manager.create(z, pre.getShape());
            NDArray h2 =
                    run(child.get("deterministic1"), ps, run(child.get("projection1"), ps, z2));
            if (skip) {
                h2 = h2.add(h1);
            }
            NDArray expected = run(child.get("output"), ps, run(child.get("extra"), ps, h2));
            assertTrue(
                    image.sub(expected).abs().max().getDouble() < 1e-7,
                    "largest difference " + image.sub(expected).abs().max().getDouble());
            assertEquals(
                    skip
                            ? "z-dims [4, 6], channels 16, image 1x32x32, ladder parameterisation"
                            : "z-dims [4, 6], channels 16, image 1x32x32, ladder parameterisation,"
                                    + " no skip connections",
                    config.toString());
        }
    }

    private static NDArray run(ai.djl.nn.Block block, ParameterStore ps, NDArray x) {
        return block.forward(ps, new NDList(x), false).singletonOrThrow();
    }

    /**
     * erf to 1e-13 by its Taylor series and continued fraction; enough to tell a wrong GELU from
     * the right one.
     */
    private static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (ax + f);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }

    @Test
    void lowerLatentsChangeTheImage() {
        LadderConfig config =
                LadderConfig.builder().setZDims(4, 4).optChannels(16).optImageChannels(1).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(2);
            LadderGenerator g = new LadderGenerator(config);
            g.initialize(manager, DataType.FLOAT32, g.latentShapes(1));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray top = manager.randomNormal(new Shape(1, 4));
            NDArray a =
                    g.forward(ps, new NDList(top, manager.zeros(new Shape(1, 4))), false)
                            .singletonOrThrow();
            NDArray b =
                    g.forward(ps, new NDList(top, manager.ones(new Shape(1, 4))), false)
                            .singletonOrThrow();
            assertTrue(a.sub(b).abs().max().getFloat() > 1e-6f);
        }
    }

    @Test
    void rejectsBadConfigurations() {
        assertThrows(
                IllegalArgumentException.class, () -> LadderConfig.builder().setZDims().build());
        assertThrows(
                IllegalArgumentException.class,
                () -> LadderConfig.builder().setZDims(4, 0).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> LadderConfig.builder().setZDims(4).optImageSize(28).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> LadderConfig.builder().setZDims(4).optImageChannels(2).build());
    }
}
