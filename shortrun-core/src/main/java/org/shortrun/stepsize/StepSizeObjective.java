package org.shortrun.stepsize;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.shortrun.inference.Langevin;

/**
 * The variational objective of the Langevin step size (the paper's eq. 19-20) for one chain: with
 * the K-step map {@code e_K = F(e_0, eps)} and its injected noise held fixed,
 *
 * <pre>
 *   objective = log q_s(e_K) - log p(x, e_K)
 *             = log p(e_0) - log|det dF/de_0| - log p(x, e_K)
 * </pre>
 *
 * whose expectation over chains is KL(q_s || p(e | x)) - log p(x). Each Langevin step {@code e <- e
 * - (s_k^2 / 2) grad U(e) + s_k eps_k} has the Jacobian {@code A_k = I - (s_k^2 / 2) H(e_k)}, so
 * {@code log|det dF/de_0| = sum_k log|det A_k|}, taken exactly from the eigenvalues of the
 * symmetric Hessians H, in float64.
 *
 * <p>The Hessians come from central differences of float64 gradients (d Hessian-vector products per
 * step, batched). The derivative with respect to every s_k uses, besides H, the gradient of {@code
 * tr(A_k^-1 H(e))}, which second differences of gradients along H's eigenvectors give; see
 * docs/STEPSIZE.md for why this and not double backpropagation, and for the accuracy.
 *
 * <p>{@link LogDeterminant#FAST} takes H instead from forward differences of a second, float32
 * energy's gradients (at most d + 1 points per step instead of 2d + 1 in float64); the chain still
 * steps with the float64 gradient, so only log|det| and the quantities read from H change.
 */
public final class StepSizeObjective {

    /** Spacing of the central differences that build each Hessian. */
    static final double HESSIAN_SPACING = 1e-5;

    /** Spacing of the second differences that give third derivatives (for the s-derivative). */
    static final double THIRD_SPACING = 1e-3;

    /**
     * Spacing of the forward differences of float32 gradients ({@link LogDeterminant#FAST}). Their
     * error is round-off, about 6e-8 |gradient| / h, plus truncation, about h |third derivative| /
     * 2; on a trained d = 112 model 3e-3 gave the smallest errors of log|det| among 1e-3, 3e-3 and
     * 1e-2 (docs/STEPSIZE.md, "A cheaper search").
     */
    static final double FAST_SPACING = 3e-3;

    /**
     * Spacing of the float32 second differences along H's eigenvectors (the s-derivative with
     * {@link LogDeterminant#FAST}): wider than {@link #THIRD_SPACING}, since float32 round-off
     * grows as 1 / h^2; the term they give is about 1e-3 of the derivative, so their O(h^2)
     * truncation hardly shows.
     */
    static final double FAST_THIRD_SPACING = 3e-2;

    /**
     * One chain: its start and its injected noise, held fixed while s varies.
     *
     * @param start e_0, d values
     * @param noise eps_1..eps_K, K arrays of d values
     */
    public record Chain(double[] start, double[][] noise) {

        /**
         * Draws a chain: e_0 and every step's noise standard normal.
         *
         * @param d the latent dimension
         * @param steps K
         * @param random the source
         * @return the chain
         */
        public static Chain draw(int d, int steps, java.util.Random random) {
            double[] start = new double[d];
            double[][] noise = new double[steps][d];
            for (int i = 0; i < d; i++) {
                start[i] = random.nextGaussian();
            }
            for (double[] row : noise) {
                for (int i = 0; i < d; i++) {
                    row[i] = random.nextGaussian();
                }
            }
            return new Chain(start, noise);
        }
    }

    /**
     * The objective of one chain and its parts.
     *
     * @param objective log q(e_K) - log p(x, e_K)
     * @param logQ log q(e_K) = log p(e_0) - log|det J|, the entropy term (its negative is the
     *     entropy)
     * @param logJoint log p(x, e_K)
     * @param logDet log|det dF/de_0|
     * @param minSingularValue the smallest singular value of dF/de_0
     * @param minAbsEigenvalue the smallest |eigenvalue| over the step Jacobians A_k
     * @param minEigenvalue the smallest signed eigenvalue over the step Jacobians A_k; at or below
     *     0 the chain's map may fold, see {@link StepSizeProblem.Estimate#isAdmissible}
     * @param gradient d objective / d s_k for every step, or null if not asked for
     */
    public record Value(
            double objective,
            double logQ,
            double logJoint,
            double logDet,
            double minSingularValue,
            double minAbsEigenvalue,
            double minEigenvalue,
            double[] gradient) {

        /**
         * @return whether the objective is a finite number
         */
        public boolean isFinite() {
            return Double.isFinite(objective);
        }

        /**
         * @return d objective / d s for one step size shared by all steps
         */
        public double sharedGradient() {
            double sum = 0;
            for (double g : gradient) {
                sum += g;
            }
            return sum;
        }
    }

    private StepSizeObjective() {}

    /**
     * Evaluates the objective of one chain.
     *
     * @param energy the energy of the image
     * @param stepSizes s_1..s_K (the noise standard deviations; the paper's step size is s^2/2)
     * @param chain the chain's start and noise
     * @param withGradient whether to compute d objective / d s_k as well (about twice the cost)
     * @return the value
     */
    public static Value evaluate(
            LatentEnergy energy, double[] stepSizes, Chain chain, boolean withGradient) {
        return evaluate(
                energy, null, stepSizes, chain, withGradient, new Outputs(null, null, null));
    }

    /**
     * Evaluates the objective of one chain with each step's Hessian taken from a second energy's
     * gradients by forward differences ({@link LogDeterminant#FAST}): the same U in lower
     * precision, cheaper to evaluate. The chain steps with {@code energy}'s gradients.
     *
     * @param energy the energy of the image, whose gradients move the chain and give log p(x, e_K)
     * @param curvature the same energy in float32, whose gradients give H (and, with the
     *     derivative, its third derivatives)
     * @param stepSizes s_1..s_K
     * @param chain the chain's start and noise
     * @param withGradient whether to compute d objective / d s_k as well
     * @return the value
     */
    public static Value evaluate(
            LatentEnergy energy,
            LatentEnergy curvature,
            double[] stepSizes,
            Chain chain,
            boolean withGradient) {
        if (curvature.dimension() != energy.dimension()) {
            throw new IllegalArgumentException(
                    "the curvature's energy has d = "
                            + curvature.dimension()
                            + ", the chain's "
                            + energy.dimension());
        }
        return evaluate(
                energy, curvature, stepSizes, chain, withGradient, new Outputs(null, null, null));
    }

    /**
     * As {@link #evaluate(LatentEnergy, double[], Chain, boolean)}; the Jacobian dF/de_0 goes to
     * {@code jacobianOut} if not null.
     */
    static Value evaluate(
            LatentEnergy energy,
            double[] stepSizes,
            Chain chain,
            boolean withGradient,
            DMatrixRMaj jacobianOut) {
        return evaluate(
                energy, null, stepSizes, chain, withGradient, new Outputs(jacobianOut, null, null));
    }

    /**
     * What an evaluation can hand back besides its value; each part is filled if not null.
     *
     * @param jacobian receives dF/de_0, d x d
     * @param end receives e_K, d values
     * @param stepJacobians receives A_1..A_K
     */
    record Outputs(DMatrixRMaj jacobian, double[] end, DMatrixRMaj[] stepJacobians) {}

    /**
     * As {@link #evaluate(LatentEnergy, double[], Chain, boolean)}, handing back the parts of
     * {@code out}.
     */
    static Value evaluate(
            LatentEnergy energy,
            double[] stepSizes,
            Chain chain,
            boolean withGradient,
            Outputs out) {
        return evaluate(energy, null, stepSizes, chain, withGradient, out);
    }

    /**
     * The evaluation: exact Hessians if {@code curvature} is null, else forward differences of its
     * gradients.
     */
    static Value evaluate(
            LatentEnergy energy,
            LatentEnergy curvature,
            double[] stepSizes,
            Chain chain,
            boolean withGradient,
            Outputs out) {
        DMatrixRMaj jacobianOut = out.jacobian();
        double[] endOut = out.end();
        int d = energy.dimension();
        int steps = stepSizes.length;
        if (chain.noise().length < steps) {
            throw new IllegalArgumentException(
                    "the chain has noise for " + chain.noise().length + " steps, not " + steps);
        }
        double[] e = chain.start().clone();
        double logPrior0 = -0.5 * dot(e, e) - 0.5 * d * Math.log(2 * Math.PI);
        double logDet = 0;
        double minAbsEigenvalue = Double.POSITIVE_INFINITY;
        double minEigenvalue = Double.POSITIVE_INFINITY;
        DMatrixRMaj jacobian = CommonOps_DDRM.identity(d);
        DMatrixRMaj[] stepJacobians = withGradient ? new DMatrixRMaj[steps] : null;
        double[][] traceGradients = withGradient ? new double[steps][] : null;
        double[][] gradientsAtSteps = withGradient ? new double[steps][] : null;
        double[] explicit = withGradient ? new double[steps] : null;
        for (int k = 0; k < steps; k++) {
            double s = stepSizes[k];
            double drift = s * s / 2;
            Local local =
                    curvature == null ? hessian(energy, e) : forwardHessian(energy, curvature, e);
            // the reference keeps its eigenvectors so that its numbers stay those of earlier runs;
            // the fast path computes them only for the derivative (eigenvalues alone took a third
            // of the time at d = 416)
            EigenDecomposition_F64<DMatrixRMaj> eig =
                    DecompositionFactory_DDRM.eig(d, curvature == null || withGradient, true);
            if (!eig.decompose(local.hessian.copy())) {
                return nonFinite();
            }
            double[] alpha = new double[d];
            double traceInverseH = 0;
            for (int i = 0; i < d; i++) {
                double mu = eig.getEigenvalue(i).getReal();
                alpha[i] = 1 - drift * mu;
                logDet += Math.log(Math.abs(alpha[i]));
                minAbsEigenvalue = Math.min(minAbsEigenvalue, Math.abs(alpha[i]));
                minEigenvalue = Math.min(minEigenvalue, alpha[i]);
                traceInverseH += mu / alpha[i];
            }
            DMatrixRMaj a = CommonOps_DDRM.identity(d);
            CommonOps_DDRM.addEquals(a, -drift, local.hessian);
            DMatrixRMaj next = new DMatrixRMaj(d, d);
            CommonOps_DDRM.mult(a, jacobian, next);
            jacobian = next;
            if (out.stepJacobians() != null) {
                out.stepJacobians()[k] = a;
            }
            if (withGradient) {
                stepJacobians[k] = a;
                traceGradients[k] =
                        curvature == null
                                ? traceGradient(
                                        energy, e, local.gradient, eig, alpha, THIRD_SPACING)
                                : traceGradient(
                                        curvature,
                                        e,
                                        local.curvatureGradient,
                                        eig,
                                        alpha,
                                        FAST_THIRD_SPACING);
                gradientsAtSteps[k] = local.gradient;
                // d log|det A_k| / d s_k at fixed e_k = tr(A_k^-1 (-s_k H_k))
                explicit[k] = -s * traceInverseH;
            }
            Langevin.update(e, local.gradient, s, chain.noise()[k]);
        }
        double[] energyK = new double[1];
        double[] gradientK = new double[d];
        energy.evaluate(e, 1, energyK, gradientK);
        double logJoint = -energyK[0] - energy.logNormalizer();
        double logQ = logPrior0 - logDet;
        double objective = logQ - logJoint;
        double minSingular = minSingularValue(jacobian);
        if (jacobianOut != null) {
            jacobianOut.setTo(jacobian);
        }
        if (endOut != null) {
            System.arraycopy(e, 0, endOut, 0, d);
        }
        double[] gradient = null;
        if (withGradient) {
            gradient = new double[steps];
            for (int k = 0; k < steps; k++) {
                double s = stepSizes[k];
                // u = d e_{k+1} / d s_k, then carried through the later steps' Jacobians
                double[] u = new double[d];
                for (int i = 0; i < d; i++) {
                    u[i] = -s * gradientsAtSteps[k][i] + chain.noise()[k][i];
                }
                double dLogDet = explicit[k];
                for (int j = k + 1; j < steps; j++) {
                    double sj = stepSizes[j];
                    // d log|det A_j| = tr(A_j^-1 dA_j), dA_j = -(s_j^2/2) D^3U(e_j)[u]
                    dLogDet += -(sj * sj / 2) * dot(traceGradients[j], u);
                    u = times(stepJacobians[j], u);
                }
                gradient[k] = -dLogDet + dot(gradientK, u);
            }
        }
        return new Value(
                objective,
                logQ,
                logJoint,
                logDet,
                minSingular,
                minAbsEigenvalue,
                minEigenvalue,
                gradient);
    }

    private static Value nonFinite() {
        return new Value(
                Double.NaN,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                null);
    }

    /**
     * The gradient at e and the Hessian there.
     *
     * @param gradient the chain's (float64) gradient at e, which the Langevin step takes
     * @param hessian H(e)
     * @param curvatureGradient the gradient at e of the energy H was differenced from, the centre
     *     of further differences
     */
    private record Local(double[] gradient, DMatrixRMaj hessian, double[] curvatureGradient) {}

    private static Local hessian(LatentEnergy energy, double[] e) {
        int d = e.length;
        int m = 2 * d + 1;
        double[] points = new double[m * d];
        for (int p = 0; p < m; p++) {
            System.arraycopy(e, 0, points, p * d, d);
        }
        for (int i = 0; i < d; i++) {
            points[(1 + 2 * i) * d + i] += HESSIAN_SPACING;
            points[(2 + 2 * i) * d + i] -= HESSIAN_SPACING;
        }
        double[] energies = new double[m];
        double[] gradients = new double[m * d];
        energy.evaluate(points, m, energies, gradients);
        double[] gradient = new double[d];
        System.arraycopy(gradients, 0, gradient, 0, d);
        DMatrixRMaj h = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            int plus = (1 + 2 * i) * d;
            int minus = (2 + 2 * i) * d;
            for (int r = 0; r < d; r++) {
                h.unsafe_set(
                        r, i, (gradients[plus + r] - gradients[minus + r]) / (2 * HESSIAN_SPACING));
            }
        }
        symmetrise(h);
        return new Local(gradient, h, gradient);
    }

    /**
     * The float64 gradient at e, and H from forward differences of the curvature energy's gradients
     * at e and e + h u_i ({@link LatentEnergy#forwardDifferenceHessian}).
     */
    private static Local forwardHessian(LatentEnergy energy, LatentEnergy curvature, double[] e) {
        int d = e.length;
        double[] gradient = new double[d];
        energy.evaluate(e, 1, new double[1], gradient);
        // H and the centre of later differences both come from the float32 energy: differenced
        // against the float64 gradient, float32's systematic error (its rounded weights) would
        // not cancel
        double[] centre = new double[d];
        DMatrixRMaj h = new DMatrixRMaj(d, d);
        curvature.forwardDifferenceHessian(e, FAST_SPACING, centre, h);
        symmetrise(h);
        return new Local(gradient, h, centre);
    }

    /** A Hessian is symmetric; differences of gradients are symmetric only up to their errors. */
    private static void symmetrise(DMatrixRMaj h) {
        int d = h.numRows;
        for (int r = 0; r < d; r++) {
            for (int c = r + 1; c < d; c++) {
                double mean = 0.5 * (h.unsafe_get(r, c) + h.unsafe_get(c, r));
                h.unsafe_set(r, c, mean);
                h.unsafe_set(c, r, mean);
            }
        }
    }

    /**
     * The gradient in e of tr(A^-1 H(e)) with A held fixed: with H = sum mu_i q_i q_i^T, A^-1 = sum
     * (1/alpha_i) q_i q_i^T, and each d/de (q_i^T H(e) q_i) is a second difference of gradients
     * along q_i.
     */
    private static double[] traceGradient(
            LatentEnergy energy,
            double[] e,
            double[] centreGradient,
            EigenDecomposition_F64<DMatrixRMaj> eig,
            double[] alpha,
            double spacing) {
        int d = e.length;
        int m = 2 * d;
        double[] points = new double[m * d];
        for (int i = 0; i < d; i++) {
            DMatrixRMaj q = eig.getEigenVector(i);
            for (int r = 0; r < d; r++) {
                points[(2 * i) * d + r] = e[r] + spacing * q.data[r];
                points[(2 * i + 1) * d + r] = e[r] - spacing * q.data[r];
            }
        }
        double[] energies = new double[m];
        double[] gradients = new double[m * d];
        energy.evaluate(points, m, energies, gradients);
        double[] w = new double[d];
        double h2 = spacing * spacing;
        for (int i = 0; i < d; i++) {
            double weight = 1 / alpha[i];
            for (int r = 0; r < d; r++) {
                double second =
                        (gradients[(2 * i) * d + r]
                                        + gradients[(2 * i + 1) * d + r]
                                        - 2 * centreGradient[r])
                                / h2;
                w[r] += weight * second;
            }
        }
        return w;
    }

    private static double minSingularValue(DMatrixRMaj m) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(m.numRows, m.numCols, false, false, true);
        if (!svd.decompose(m.copy())) {
            return Double.NaN;
        }
        double min = Double.POSITIVE_INFINITY;
        for (double v : svd.getSingularValues()) {
            min = Math.min(min, v);
        }
        return min;
    }

    /** a . b; package-private so that {@link NoiseIntegration} shares it. */
    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /**
     * a v for any a (square or not); package-private so that {@link NoiseIntegration} shares it.
     */
    static double[] times(DMatrixRMaj a, double[] v) {
        double[] out = new double[a.numRows];
        for (int r = 0; r < a.numRows; r++) {
            double s = 0;
            for (int c = 0; c < a.numCols; c++) {
                s += a.unsafe_get(r, c) * v[c];
            }
            out[r] = s;
        }
        return out;
    }
}
