package org.shortrun.stepsize;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;
import org.shortrun.inference.Langevin;

/**
 * log q_s(e_K) with the injected noise integrated out, as the paper's eq. 14 and 17 define it:
 * {@code q_s(z) = E_eps'[q_s(z | eps')]}, where {@code q_s(z | eps') = p(e_0') / |det dF/de_0|} at
 * the preimage {@code e_0'} of z under the map {@code F(., eps')}. The fixed-noise estimate {@link
 * StepSizeObjective} uses keeps only the chain's own noise, which overstates log q by the mutual
 * information {@code I(e_K; eps)} on average (docs/STEPSIZE.md).
 *
 * <p>Two ways to draw the M noise sets eps', each given as a {@link Proposal}:
 *
 * <ul>
 *   <li>{@link Proposal#PRIOR}, the paper's: eps' from N(0, I). Two averages then bracket {@code
 *       E[log q_s(e_K)]}: {@code log (1/M) sum_j q(z | eps'_j)} is below on average (an unbiased
 *       average inside a logarithm), and the same average with the chain's own noise as one more
 *       term is above (the contrastive bound; at M = 0 it is the fixed-noise estimate). The upper
 *       one can close at most log(M + 1) nats of the gap, so it helps only where the gap is small.
 *   <li>{@link Proposal#LINEARISED}: importance sampling from the Gaussian law of eps given e_K
 *       under the chain's own linearisation {@code e_K ~ z + J (e_0' - e_0) + B (eps' - eps)},
 *       built from the step Jacobians the objective computes anyway. {@code log (1/M) sum_j q(z |
 *       eps'_j) p(eps'_j) / r(eps'_j)} is below on average and consistent; for a linear generator
 *       every weight equals q(z) and it is exact.
 * </ul>
 *
 * Each preimage comes from Newton's method on {@code F(e_0', eps') = z} from the chain's own start,
 * with chord steps (the last Jacobian reused) in between. Everything assumes each {@code F(.,
 * eps')} is one-to-one: past the fold a point has several preimages, Newton finds one, and q(z |
 * eps') is undercounted. Each draw costs a few evaluations of the chain, and the linearised
 * proposal needs J invertible: meant for small d.
 */
public final class NoiseIntegration {

    /** Where the noise draws come from. */
    public enum Proposal {
        /** eps' ~ N(0, I), the paper's eq. 17; a bracket, useful where the gap is small. */
        PRIOR,
        /** Importance sampling from the chain's linearised posterior of eps; exact if linear. */
        LINEARISED;

        /**
         * The proposal's name as the command writes it.
         *
         * @return {@code prior} or {@code linearised}
         */
        public String label() {
            return this == PRIOR ? "prior" : "linearised";
        }

        /**
         * Parses a proposal's name.
         *
         * @param option the option the name came from, which the message names
         * @param value {@code prior} or {@code linearised}
         * @return the proposal
         * @throws org.shortrun.InputException if the name is neither
         */
        public static Proposal parse(String option, String value) {
            return switch (value) {
                case "prior" -> PRIOR;
                case "linearised" -> LINEARISED;
                default ->
                        throw new org.shortrun.InputException(
                                option + " must be linearised or prior, got '" + value + "'");
            };
        }
    }

    /** Newton iterations (Jacobian evaluations) per preimage before the draw counts as unsolved. */
    static final int MAX_JACOBIANS = 8;

    /** Chord steps between two Jacobians. */
    static final int MAX_CHORD_STEPS = 12;

    /** A preimage is solved when no coordinate of F(e_0') - z exceeds this times (1 + |z|_max). */
    static final double TOLERANCE = 1e-9;

    /**
     * A chain as evaluated: what the linearisation and the contrastive bound need.
     *
     * @param chain its start and noise
     * @param end z = e_K
     * @param logQ {@code log q(z | eps) = log p(e_0) - log|det dF/de_0|}
     * @param jacobian dF/de_0
     * @param stepJacobians A_1..A_K
     */
    public record Own(
            StepSizeObjective.Chain chain,
            double[] end,
            double logQ,
            DMatrixRMaj jacobian,
            DMatrixRMaj[] stepJacobians) {}

    /**
     * The noise-integrated log q_s(z) of one chain.
     *
     * @param logQ the estimate the objective uses: the contrastive upper bound (prior) or the
     *     importance-sampling average (linearised)
     * @param lowerLogQ the fresh-draw average under the prior proposal (below on average), NaN
     *     under the linearised one or if no draw was solved
     * @param solved how many draws had their preimage found
     */
    public record Result(double logQ, double lowerLogQ, int solved) {}

    private NoiseIntegration() {}

    /**
     * Integrates the noise out of log q_s at one chain's end.
     *
     * @param energy the energy of the chain's image
     * @param stepSizes s_1..s_K
     * @param own the chain as evaluated
     * @param draws M standard normal draws, each an e_0 and K noise arrays; the prior proposal uses
     *     their noise as eps', the linearised one transforms them
     * @param proposal where eps' comes from
     * @return the estimate
     */
    public static Result logQ(
            LatentEnergy energy,
            double[] stepSizes,
            Own own,
            StepSizeObjective.Chain[] draws,
            Proposal proposal) {
        double[] terms = new double[draws.length];
        int solved = 0;
        Linearisation lin =
                proposal == Proposal.LINEARISED ? Linearisation.at(own, stepSizes) : null;
        if (proposal == Proposal.LINEARISED && lin == null) {
            return new Result(Double.NaN, Double.NaN, 0);
        }
        for (StepSizeObjective.Chain draw : draws) {
            double[][] noise = lin == null ? draw.noise() : lin.sample(draw);
            double logQ = conditionalLogQ(energy, stepSizes, own.chain().start(), own.end(), noise);
            if (Double.isFinite(logQ)) {
                terms[solved++] = lin == null ? logQ : logQ + lin.logWeight(noise);
            }
        }
        if (lin != null) {
            return new Result(
                    solved == 0 ? Double.NaN : logMeanExp(terms, solved, Double.NaN),
                    Double.NaN,
                    solved);
        }
        double lower = solved == 0 ? Double.NaN : logMeanExp(terms, solved, Double.NaN);
        return new Result(logMeanExp(terms, solved, own.logQ()), lower, solved);
    }

    /**
     * The Gaussian law of eps given e_K = z when the chain's map is replaced by its linearisation
     * at the chain: {@code z = z + J (e_0' - e_0) + B (eps' - eps)} with {@code B_k = s_k A_K ..
     * A_{k+1}}, and (e_0', eps') ~ N(0, I). Its mean is {@code B^T S^-1 (J e_0 + B eps)} and its
     * covariance {@code I - B^T S^-1 B}, with {@code S = J J^T + B B^T}.
     */
    private static final class Linearisation {
        private final int d;
        private final int steps;
        private final DMatrixRMaj j;
        private final DMatrixRMaj b;
        private final LinearSolverDense<DMatrixRMaj> sSolver;
        private final LinearSolverDense<DMatrixRMaj> jSolver;
        private final double[] mean;
        private final double logDetCovariance;
        private final double[] ownStart;
        private final double[] ownNoise;

        private Linearisation(
                Own own,
                DMatrixRMaj b,
                LinearSolverDense<DMatrixRMaj> sSolver,
                LinearSolverDense<DMatrixRMaj> jSolver,
                double[] mean,
                double logDetCovariance) {
            this.d = own.end().length;
            this.steps = own.stepJacobians().length;
            this.j = own.jacobian();
            this.b = b;
            this.sSolver = sSolver;
            this.jSolver = jSolver;
            this.mean = mean;
            this.logDetCovariance = logDetCovariance;
            this.ownStart = own.chain().start();
            this.ownNoise = flatten(own.chain().noise(), steps);
        }

        /**
         * @return the linearisation, or null if J or S cannot be factorised
         */
        static Linearisation at(Own own, double[] stepSizes) {
            int d = own.end().length;
            int steps = stepSizes.length;
            DMatrixRMaj b = new DMatrixRMaj(d, steps * d);
            DMatrixRMaj later = CommonOps_DDRM.identity(d);
            for (int k = steps - 1; k >= 0; k--) {
                for (int r = 0; r < d; r++) {
                    for (int c = 0; c < d; c++) {
                        b.unsafe_set(r, k * d + c, stepSizes[k] * later.unsafe_get(r, c));
                    }
                }
                DMatrixRMaj next = new DMatrixRMaj(d, d);
                CommonOps_DDRM.mult(later, own.stepJacobians()[k], next);
                later = next;
            }
            DMatrixRMaj s = new DMatrixRMaj(d, d);
            CommonOps_DDRM.multTransB(own.jacobian(), own.jacobian(), s);
            CommonOps_DDRM.multAddTransB(b, b, s);
            CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(d, true);
            if (!chol.decompose(s.copy())) {
                return null;
            }
            double logDetS = 0;
            DMatrixRMaj t = chol.getT(null);
            for (int i = 0; i < d; i++) {
                logDetS += 2 * Math.log(t.get(i, i));
            }
            LinearSolverDense<DMatrixRMaj> sSolver = LinearSolverFactory_DDRM.symmPosDef(d);
            LinearSolverDense<DMatrixRMaj> jSolver = LinearSolverFactory_DDRM.lu(d);
            double logAbsDetJ = Math.log(Math.abs(CommonOps_DDRM.det(own.jacobian())));
            if (!sSolver.setA(s.copy())
                    || !jSolver.setA(own.jacobian().copy())
                    || !Double.isFinite(logAbsDetJ)) {
                return null;
            }
            // J e_0 + B eps, the linearised e_K's offset from the mean it has at (e_0', eps') = 0
            double[] offset =
                    plus(
                            StepSizeObjective.times(own.jacobian(), own.chain().start()),
                            StepSizeObjective.times(b, flatten(own.chain().noise(), steps)));
            double[] mean = timesTransposed(b, solve(sSolver, offset));
            // det(I - B^T S^-1 B) = det(J J^T) / det(S)
            return new Linearisation(own, b, sSolver, jSolver, mean, 2 * logAbsDetJ - logDetS);
        }

        /** Matheron's rule: a prior draw (a, c), moved so that its linearised e_K is z. */
        double[][] sample(StepSizeObjective.Chain draw) {
            double[] c = flatten(draw.noise(), steps);
            double[] miss =
                    plus(
                            StepSizeObjective.times(j, minus(draw.start(), ownStart)),
                            StepSizeObjective.times(b, minus(c, ownNoise)));
            double[] eps = minus(c, timesTransposed(b, solve(sSolver, miss)));
            double[][] noise = new double[steps][d];
            for (int k = 0; k < steps; k++) {
                System.arraycopy(eps, k * d, noise[k], 0, d);
            }
            return noise;
        }

        /** {@code log p(eps') - log r(eps')}, with {@code C^-1 = I + B^T (J J^T)^-1 B}. */
        double logWeight(double[][] noise) {
            double[] eps = flatten(noise, steps);
            double[] v = minus(eps, mean);
            double[] w = solve(jSolver, StepSizeObjective.times(b, v));
            return -0.5 * StepSizeObjective.dot(eps, eps)
                    + 0.5 * logDetCovariance
                    + 0.5 * (StepSizeObjective.dot(v, v) + StepSizeObjective.dot(w, w));
        }
    }

    /**
     * {@code log q(z | eps') = log p(e_0') - log|det dF/de_0'|} at the preimage of z under {@code
     * F(., eps')}.
     *
     * @return the log density, or NaN if Newton did not find a preimage
     */
    static double conditionalLogQ(
            LatentEnergy energy,
            double[] stepSizes,
            double[] start,
            double[] end,
            double[][] noise) {
        int d = start.length;
        double tolerance = TOLERANCE * (1 + maxAbs(end));
        double[] e0 = start.clone();
        DMatrixRMaj jacobian = new DMatrixRMaj(d, d);
        double[] reached = new double[d];
        for (int n = 0; n < MAX_JACOBIANS; n++) {
            StepSizeObjective.Value v =
                    StepSizeObjective.evaluate(
                            energy,
                            stepSizes,
                            new StepSizeObjective.Chain(e0, noise),
                            false,
                            new StepSizeObjective.Outputs(jacobian, reached, null));
            if (!v.isFinite()) {
                return Double.NaN;
            }
            double[] residual = minus(reached, end);
            if (maxAbs(residual) <= tolerance) {
                return v.logQ();
            }
            LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.lu(d);
            if (!solver.setA(jacobian)) {
                return Double.NaN;
            }
            double previous = Double.POSITIVE_INFINITY;
            for (int c = 0; c < MAX_CHORD_STEPS; c++) {
                double size = maxAbs(residual);
                if (size <= tolerance || size >= previous) {
                    break;
                }
                previous = size;
                DMatrixRMaj delta = new DMatrixRMaj(d, 1);
                solver.solve(DMatrixRMaj.wrap(d, 1, residual), delta);
                double[] candidate = e0.clone();
                for (int i = 0; i < d; i++) {
                    candidate[i] -= delta.data[i];
                }
                double[] next = minus(run(energy, stepSizes, candidate, noise), end);
                if (!(maxAbs(next) < size)) {
                    break;
                }
                e0 = candidate;
                residual = next;
            }
        }
        return Double.NaN;
    }

    /** The K-step map F(e_0, eps) alone, without Hessians. */
    static double[] run(LatentEnergy energy, double[] stepSizes, double[] start, double[][] noise) {
        int d = start.length;
        double[] e = start.clone();
        double[] energyOut = new double[1];
        double[] gradient = new double[d];
        for (int k = 0; k < stepSizes.length; k++) {
            energy.evaluate(e, 1, energyOut, gradient);
            Langevin.update(e, gradient, stepSizes[k], noise[k]);
        }
        return e;
    }

    /** log of the mean of exp over the first n terms and, if finite, one more term. */
    private static double logMeanExp(double[] terms, int n, double extra) {
        double max = Double.isFinite(extra) ? extra : Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, terms[i]);
        }
        double sum = Double.isFinite(extra) ? Math.exp(extra - max) : 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(terms[i] - max);
        }
        int count = n + (Double.isFinite(extra) ? 1 : 0);
        return max + Math.log(sum / count);
    }

    private static double[] flatten(double[][] rows, int count) {
        int d = rows[0].length;
        double[] out = new double[count * d];
        for (int k = 0; k < count; k++) {
            System.arraycopy(rows[k], 0, out, k * d, d);
        }
        return out;
    }

    private static double[] timesTransposed(DMatrixRMaj a, double[] v) {
        double[] out = new double[a.numCols];
        for (int r = 0; r < a.numRows; r++) {
            for (int c = 0; c < a.numCols; c++) {
                out[c] += a.unsafe_get(r, c) * v[r];
            }
        }
        return out;
    }

    private static double[] solve(LinearSolverDense<DMatrixRMaj> solver, double[] rhs) {
        DMatrixRMaj x = new DMatrixRMaj(rhs.length, 1);
        solver.solve(DMatrixRMaj.wrap(rhs.length, 1, rhs.clone()), x);
        return x.data;
    }

    private static double[] plus(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    private static double[] minus(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
