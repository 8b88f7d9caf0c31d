package org.shortrun.stepsize;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * The energy of a linear generator {@code g(e) = W e + b} with Gaussian observation noise, where
 * every Langevin step is affine and the step-size objective has closed forms: the law q_s of e_K is
 * Gaussian, so the paper's objective {@code E[log q_s(e_K) - log p(x, e_K)]}, the expectation of
 * the fixed-noise estimator that {@link StepSizeObjective} computes, and the gap between them, the
 * mutual information {@code I(e_K; eps)} between a chain's end and its injected noise, are all
 * exact (docs/STEPSIZE.md, "What is estimated").
 */
public final class LinearGaussianEnergy implements LatentEnergy {

    private final int d;
    private final int pixels;
    private final double sigma;
    private final DMatrixRMaj precision;
    private final double[] c;
    private final double constant;

    /**
     * An energy {@code ||x - W e - b||^2 / (2 sigma^2) + ||e||^2 / 2}.
     *
     * @param w the generator's weights, {@code D x d}
     * @param residual {@code x - b}, D values
     * @param sigma the observation noise
     */
    public LinearGaussianEnergy(DMatrixRMaj w, double[] residual, double sigma) {
        if (w.numRows != residual.length || !(sigma > 0)) {
            throw new IllegalArgumentException(
                    "W has "
                            + w.numRows
                            + " rows for "
                            + residual.length
                            + " observed values, sigma "
                            + sigma);
        }
        this.d = w.numCols;
        this.pixels = w.numRows;
        this.sigma = sigma;
        precision = CommonOps_DDRM.identity(d);
        DMatrixRMaj wtw = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransA(w, w, wtw);
        CommonOps_DDRM.addEquals(precision, 1 / (sigma * sigma), wtw);
        c = new double[d];
        for (int j = 0; j < d; j++) {
            for (int i = 0; i < pixels; i++) {
                c[j] += w.get(i, j) * residual[i] / (sigma * sigma);
            }
        }
        double r2 = 0;
        for (double r : residual) {
            r2 += r * r;
        }
        constant = r2 / (2 * sigma * sigma);
    }

    /**
     * A random instance: W's entries {@code N(0, weightScale^2)}, {@code x - b} standard normal
     * times 0.5.
     *
     * @param d the latent dimension
     * @param pixels D, the observed values
     * @param sigma the observation noise
     * @param weightScale the standard deviation of W's entries
     * @param seed the seed
     * @return the energy
     */
    public static LinearGaussianEnergy random(
            int d, int pixels, double sigma, double weightScale, long seed) {
        Random random = new Random(seed);
        DMatrixRMaj w = new DMatrixRMaj(pixels, d);
        for (int i = 0; i < w.data.length; i++) {
            w.data[i] = random.nextGaussian() * weightScale;
        }
        double[] residual = new double[pixels];
        for (int i = 0; i < pixels; i++) {
            residual[i] = random.nextGaussian() * 0.5;
        }
        return new LinearGaussianEnergy(w, residual, sigma);
    }

    @Override
    public int dimension() {
        return d;
    }

    @Override
    public double logNormalizer() {
        return 0.5 * d * Math.log(2 * Math.PI)
                + 0.5 * pixels * Math.log(2 * Math.PI * sigma * sigma);
    }

    /**
     * @return the energy's Hessian {@code I + W^T W / sigma^2}, a copy
     */
    public DMatrixRMaj precision() {
        return precision.copy();
    }

    /**
     * @return {@code W^T (x - b) / sigma^2}, the energy's linear term, a copy
     */
    double[] linearTerm() {
        return c.clone();
    }

    /**
     * @return {@code ||x - b||^2 / (2 sigma^2)}, the energy at e = 0
     */
    double constant() {
        return constant;
    }

    @Override
    public void evaluate(double[] points, int m, double[] energies, double[] gradients) {
        for (int p = 0; p < m; p++) {
            double quadratic = 0;
            double linear = 0;
            for (int i = 0; i < d; i++) {
                double pe = 0;
                for (int j = 0; j < d; j++) {
                    pe += precision.get(i, j) * points[p * d + j];
                }
                gradients[p * d + i] = pe - c[i];
                quadratic += points[p * d + i] * pe;
                linear += c[i] * points[p * d + i];
            }
            energies[p] = 0.5 * quadratic - linear + constant;
        }
    }

    /**
     * The exact terms at some step sizes.
     *
     * @param objective the paper's objective {@code E[log q_s(e_K) - log p(x, e_K)] = KL(q_s || p(e
     *     | x)) - log p(x)}, with q_s the law of e_K, the noise integrated out
     * @param fixedNoiseObjective the expectation of the estimator with each chain's noise held
     *     fixed, {@code E[log p(e_0) - log|det dF/de_0| - log p(x, e_K)]}
     * @param noiseGap their difference, {@code I(e_K; eps) >= 0}
     * @param logDet {@code log|det dF/de_0|}, the same for every chain
     */
    public record Exact(
            double objective, double fixedNoiseObjective, double noiseGap, double logDet) {}

    /**
     * The closed forms: e_K is Gaussian, its mean and covariance follow {@code m <- A_k m +
     * (s_k^2/2) W^T (x - b) / sigma^2} and {@code C <- A_k C A_k^T + s_k^2 I} with {@code A_k = I -
     * (s_k^2/2) P}, starting from N(0, I).
     *
     * @param stepSizes s_1..s_K
     * @return the exact objective, the fixed-noise estimator's expectation and the gap
     */
    public Exact exact(double[] stepSizes) {
        double[] mean = new double[d];
        DMatrixRMaj cov = CommonOps_DDRM.identity(d);
        double logDet = 0;
        for (double s : stepSizes) {
            DMatrixRMaj a = CommonOps_DDRM.identity(d);
            CommonOps_DDRM.addEquals(a, -s * s / 2, precision);
            logDet += Math.log(Math.abs(CommonOps_DDRM.det(a)));
            double[] next = new double[d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    next[i] += a.get(i, j) * mean[j];
                }
                next[i] += s * s / 2 * c[i];
            }
            mean = next;
            DMatrixRMaj tmp = new DMatrixRMaj(d, d);
            DMatrixRMaj out = new DMatrixRMaj(d, d);
            CommonOps_DDRM.mult(a, cov, tmp);
            CommonOps_DDRM.multTransB(tmp, a, out);
            for (int i = 0; i < d; i++) {
                out.add(i, i, s * s);
            }
            cov = out;
        }
        DMatrixRMaj pc = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(precision, cov, pc);
        double expectedEnergy = 0.5 * CommonOps_DDRM.trace(pc) + constant;
        for (int i = 0; i < d; i++) {
            double pm = 0;
            for (int j = 0; j < d; j++) {
                pm += precision.get(i, j) * mean[j];
            }
            expectedEnergy += 0.5 * mean[i] * pm - c[i] * mean[i];
        }
        double minusLogJoint = expectedEnergy + logNormalizer();
        double halfLog2PiE = 0.5 * (1 + Math.log(2 * Math.PI));
        double expectedLogQ = -d * halfLog2PiE - 0.5 * logDetSymmetric(cov);
        double expectedLogPrior = -d * halfLog2PiE;
        double objective = expectedLogQ + minusLogJoint;
        double fixed = expectedLogPrior - logDet + minusLogJoint;
        return new Exact(objective, fixed, fixed - objective, logDet);
    }

    private static double logDetSymmetric(DMatrixRMaj m) {
        CholeskyDecomposition_F64<DMatrixRMaj> chol =
                DecompositionFactory_DDRM.chol(m.numRows, true);
        if (!chol.decompose(m.copy())) {
            throw new IllegalStateException("the covariance is not positive definite");
        }
        DMatrixRMaj l = chol.getT(null);
        double sum = 0;
        for (int i = 0; i < l.numRows; i++) {
            sum += Math.log(l.get(i, i));
        }
        return 2 * sum;
    }
}
