package org.shortrun.eval.fid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * KID: the unbiased squared MMD with the cubic polynomial kernel {@code k(x, y) = (x.y / d + 1)^3},
 * averaged over random subsets, as StyleGAN2-ADA, clean-fid and torch-fidelity report it beside
 * FID. Unlike FID it has an unbiased estimator, so small sample counts compare fairly.
 */
public final class KernelInceptionDistance {

    /**
     * KID over the subsets.
     *
     * @param mean the mean over subsets (the number usually reported)
     * @param std the standard deviation over subsets
     * @param subsets how many subsets
     * @param subsetSize vectors per subset and side
     */
    public record Result(double mean, double std, int subsets, int subsetSize) {}

    private KernelInceptionDistance() {}

    /**
     * Computes KID between two feature matrices.
     *
     * @param real {@code [n1, d]} features
     * @param fake {@code [n2, d]} features
     * @param subsets number of random subsets (100 in the usual tools)
     * @param maxSubsetSize subset size cap (1000 in the usual tools); the size used is {@code
     *     min(n1, n2, maxSubsetSize)}
     * @param random the source of the subsets
     * @param manager the manager each subset's arrays are opened under
     * @return the estimate
     */
    public static Result compute(
            float[][] real,
            float[][] fake,
            int subsets,
            int maxSubsetSize,
            Random random,
            NDManager manager) {
        int d = real[0].length;
        if (fake[0].length != d) {
            throw new IllegalArgumentException(
                    "feature dimensions differ: " + d + " and " + fake[0].length);
        }
        int m = Math.min(Math.min(real.length, fake.length), maxSubsetSize);
        if (m < 2) {
            throw new IllegalArgumentException(
                    "KID needs at least 2 feature vectors on each side, got " + m);
        }
        double[] values = new double[subsets];
        for (int t = 0; t < subsets; t++) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = subset(fake, m, d, random, scope);
                NDArray y = subset(real, m, d, random, scope);
                NDArray xx = cubic(x, x, d);
                NDArray yy = cubic(y, y, d);
                NDArray xy = cubic(x, y, d);
                NDArray eye = scope.eye(m).toType(DataType.FLOAT64, false);
                double diagonals = xx.add(yy).mul(eye).sum().getDouble();
                double within = xx.sum().getDouble() + yy.sum().getDouble() - diagonals;
                values[t] = (within / (m - 1) - 2 * xy.sum().getDouble() / m) / m;
            }
        }
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= subsets;
        double var = 0;
        for (double v : values) {
            var += (v - mean) * (v - mean);
        }
        return new Result(mean, subsets > 1 ? Math.sqrt(var / subsets) : 0, subsets, m);
    }

    private static NDArray cubic(NDArray a, NDArray b, int d) {
        NDArray gram = a.matMul(b.transpose());
        NDArray scaled =
                gram.div(gram.getManager().create((double) d)).add(gram.getManager().create(1.0));
        return scaled.mul(scaled).mul(scaled);
    }

    /** Draws m rows without replacement (a partial Fisher-Yates shuffle). */
    private static NDArray subset(float[][] rows, int m, int d, Random random, NDManager manager) {
        int[] order = new int[rows.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        double[] flat = new double[m * d];
        for (int i = 0; i < m; i++) {
            int j = i + random.nextInt(order.length - i);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
            float[] row = rows[order[i]];
            for (int k = 0; k < d; k++) {
                flat[i * d + k] = row[k];
            }
        }
        return manager.create(flat, new Shape(m, d)).toType(DataType.FLOAT64, false);
    }
}
