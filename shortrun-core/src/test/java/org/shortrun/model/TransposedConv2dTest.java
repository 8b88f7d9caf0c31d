package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransposedConv2dTest {

    /**
     * The definition, scattered: every input pixel i adds x[i] * w[t] to output o = i*s - p + t.
     * Independent of the phase decomposition under test.
     */
    static double[] reference(
            double[] x,
            double[] w,
            double[] b,
            int n,
            int cin,
            int cout,
            int h,
            int wd,
            int k,
            int s,
            int p) {
        int oh = (h - 1) * s - 2 * p + k;
        int ow = (wd - 1) * s - 2 * p + k;
        double[] y = new double[n * cout * oh * ow];
        for (int bn = 0; bn < n; bn++) {
            for (int co = 0; co < cout; co++) {
                for (int i = 0; i < oh * ow; i++) {
                    y[(bn * cout + co) * oh * ow + i] = b == null ? 0 : b[co];
                }
            }
            for (int ci = 0; ci < cin; ci++) {
                for (int ih = 0; ih < h; ih++) {
                    for (int iw = 0; iw < wd; iw++) {
                        double v = x[((bn * cin + ci) * h + ih) * wd + iw];
                        for (int co = 0; co < cout; co++) {
                            for (int th = 0; th < k; th++) {
                                int o1 = ih * s - p + th;
                                if (o1 < 0 || o1 >= oh) {
                                    continue;
                                }
                                for (int tw = 0; tw < k; tw++) {
                                    int o2 = iw * s - p + tw;
                                    if (o2 < 0 || o2 >= ow) {
                                        continue;
                                    }
                                    y[((bn * cout + co) * oh + o1) * ow + o2] +=
                                            v * w[((ci * cout + co) * k + th) * k + tw];
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest(name = "k={0} s={1} p={2} bias={3}")
    @CsvSource({
        "5, 1, 2, false", // the projections
        "4, 2, 1, true", // the output block 16 -> 32
        "3, 1, 0, true",
        "3, 1, 1, true",
        "2, 2, 0, true",
        "6, 2, 2, false",
        "3, 3, 0, true",
        "5, 3, 1, true"
    })
    void matchesTheDefinition(int k, int s, int p, boolean bias) {
        int n = 2;
        int cin = 3;
        int cout = 4;
        int h = 5;
        int wd = 6;
        try (NDManager manager = NDManager.newBaseManager()) {
            TransposedConv2d block =
                    TransposedConv2d.builder()
                            .setChannels(cin, cout)
                            .setKernel(k)
                            .optStride(s)
                            .optPadding(p)
                            .optBias(bias)
                            .build();
            Shape inShape = new Shape(n, cin, h, wd);
            manager.getEngine().setRandomSeed(k * 100 + s * 10 + p);
            block.initialize(manager, DataType.FLOAT32, inShape);
            Random random = new Random(7 + k * 31 + s);
            float[] xs = new float[n * cin * h * wd];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) random.nextGaussian();
            }
            NDArray xArray = manager.create(xs, inShape);
            NDArray y =
                    block.forward(new ParameterStore(manager, false), new NDList(xArray), false)
                            .singletonOrThrow();
            double[] w = toDouble(block.getParameters().get("weight").getArray().toFloatArray());
            double[] b =
                    bias
                            ? toDouble(block.getParameters().get("bias").getArray().toFloatArray())
                            : null;
            double[] expected = reference(toDouble(xs), w, b, n, cin, cout, h, wd, k, s, p);
            assertArrayEquals(
                    block.getOutputShapes(new Shape[] {inShape})[0].getShape(),
                    y.getShape().getShape());
            float[] actual = y.toFloatArray();
            assertEquals(expected.length, actual.length);
            for (int i = 0; i < actual.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4, "element " + i);
            }
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
