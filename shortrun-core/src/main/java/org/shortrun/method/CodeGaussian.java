package org.shortrun.method;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.shortrun.RandomStream;

/**
 * A full-covariance Gaussian fitted to GLO's codes, from which GLO draws its samples (Bojanowski et
 * al. 2018): the codes' mean and covariance, the covariance factored by Cholesky with a small ridge
 * so that a rank-deficient set of codes still gives a distribution.
 */
public final class CodeGaussian {

    private static final double RIDGE = 1e-6;

    private final java.util.List<Shape> shapes;
    private final double[] mean;
    private final double[][] cholesky;

    private CodeGaussian(java.util.List<Shape> shapes, double[] mean, double[][] cholesky) {
        this.shapes = shapes;
        this.mean = mean;
        this.cholesky = cholesky;
    }

    /**
     * Fits the Gaussian to every example's code.
     *
     * @param codes the codes
     * @return the fitted Gaussian
     */
    public static CodeGaussian fit(PersistentLatents codes) {
        int d = codes.dimension();
        int n = codes.count();
        float[] values = codes.values();
        double[] mean = new double[d];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) {
                mean[j] += values[r * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        double[][] covariance = new double[d][d];
        double[] centred = new double[d];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) {
                centred[j] = values[r * d + j] - mean[j];
            }
            for (int i = 0; i < d; i++) {
                double ci = centred[i];
                double[] row = covariance[i];
                for (int j = 0; j <= i; j++) {
                    row[j] += ci * centred[j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                covariance[i][j] /= Math.max(1, n - 1);
            }
            covariance[i][i] += RIDGE;
        }
        return new CodeGaussian(codes.shapes(), mean, choleskyLower(covariance));
    }

    /** The lower Cholesky factor of a symmetric matrix given by its lower triangle. */
    static double[][] choleskyLower(double[][] a) {
        int d = a.length;
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = a[i][j];
                for (int k = 0; k < j; k++) {
                    sum -= l[i][k] * l[j][k];
                }
                if (i == j) {
                    if (!(sum > 0)) {
                        throw new IllegalStateException(
                                "the codes' covariance is not positive definite (pivot "
                                        + sum
                                        + " at "
                                        + i
                                        + ")");
                    }
                    l[i][i] = Math.sqrt(sum);
                } else {
                    l[i][j] = sum / l[j][j];
                }
            }
        }
        return l;
    }

    /**
     * @return the mean, all layers' codes concatenated, top first
     */
    public double[] getMean() {
        return mean.clone();
    }

    /**
     * The covariance, recomputed from its factor.
     *
     * @return the d x d covariance
     */
    public double[][] getCovariance() {
        int d = mean.length;
        double[][] c = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int k = 0; k <= Math.min(i, j); k++) {
                    sum += cholesky[i][k] * cholesky[j][k];
                }
                c[i][j] = sum;
            }
        }
        return c;
    }

    /**
     * Draws codes: {@code mean + L eps} with {@code eps ~ N(0, I)} from a seeded stream.
     *
     * @param manager the manager the codes go to
     * @param count how many
     * @param stream where the draws come from
     * @return one {@code [count, z_l]} array per layer, top first
     */
    public NDList sample(NDManager manager, int count, RandomStream stream) {
        int d = mean.length;
        java.util.Random random = stream.nextRandom();
        float[] drawn = new float[count * d];
        double[] eps = new double[d];
        for (int r = 0; r < count; r++) {
            for (int j = 0; j < d; j++) {
                eps[j] = random.nextGaussian();
            }
            for (int i = 0; i < d; i++) {
                double v = mean[i];
                for (int k = 0; k <= i; k++) {
                    v += cholesky[i][k] * eps[k];
                }
                drawn[r * d + i] = (float) v;
            }
        }
        NDList layers = new NDList(shapes.size());
        int offset = 0;
        for (Shape shape : shapes) {
            int z = Math.toIntExact(shape.size());
            float[] rows = new float[count * z];
            for (int r = 0; r < count; r++) {
                System.arraycopy(drawn, r * d + offset, rows, r * z, z);
            }
            layers.add(manager.create(rows, new Shape(count).addAll(shape)));
            offset += z;
        }
        return layers;
    }
}
