package org.shortrun.stepsize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.shortrun.model.LatentGenerator;

/**
 * The Monte Carlo step-size objective of a generator over a set of examples and chains: the average
 * over them of {@link StepSizeObjective}. The chains (starts and injected noise) are drawn once, so
 * every s is judged on the same draws and the objective is a smooth function of s.
 */
public final class StepSizeProblem implements AutoCloseable {

    /**
     * The averaged objective at some step sizes.
     *
     * @param stepSizes s_1..s_K
     * @param objective the mean of the finite chains' objectives (NaN if none is finite)
     * @param standardError its standard error over chains
     * @param logQ the mean of log q(e_K), the entropy term
     * @param logJoint the mean of log p(x, e_K), the log-joint term
     * @param minSingularValue the smallest singular value of dF/de_0 over chains
     * @param minAbsEigenvalue the smallest |eigenvalue| of a step's Jacobian over chains
     * @param minEigenvalue the smallest signed eigenvalue of a step's Jacobian over chains
     * @param gradient the mean d objective / d s_k, or null
     * @param nonFinite how many chains gave a non-finite objective
     * @param noiseIntegrated with noise draws ({@link #setNoiseDraws}): the fixed-noise objective
     *     and how far the noise-integrated one lies below it; {@code objective} is then the
     *     noise-integrated one. Otherwise null.
     */
    public record Estimate(
            double[] stepSizes,
            double objective,
            double standardError,
            double logQ,
            double logJoint,
            double minSingularValue,
            double minAbsEigenvalue,
            double minEigenvalue,
            double[] gradient,
            int nonFinite,
            NoiseIntegrated noiseIntegrated) {

        /**
         * @return whether every chain gave a finite objective
         */
        public boolean isFinite() {
            return nonFinite == 0 && Double.isFinite(objective);
        }

        /**
         * The estimate as the command prints it and training logs it: snake_case keys, null for a
         * number that is not finite, s as one number when all steps share it.
         *
         * @return an ordered map, ready for JSON
         */
        public Map<String, Object> toMap() {
            boolean shared = sameForAllSteps(stepSizes);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("s", shared ? (Object) stepSizes[0] : (Object) stepSizes.clone());
            m.put("finite", isFinite());
            m.put("admissible", isAdmissible());
            m.put("objective", finiteOrNull(objective));
            m.put("standard_error", finiteOrNull(standardError));
            m.put("log_q", finiteOrNull(logQ));
            m.put("log_joint", finiteOrNull(logJoint));
            m.put("min_singular_value", finiteOrNull(minSingularValue));
            m.put("min_abs_eigenvalue", finiteOrNull(minAbsEigenvalue));
            m.put("min_eigenvalue", finiteOrNull(minEigenvalue));
            if (nonFinite > 0) {
                m.put("non_finite_chains", nonFinite);
            }
            if (gradient != null) {
                m.put(
                        "d_objective_ds",
                        shared
                                ? (Object) Arrays.stream(gradient).sum()
                                : (Object) gradient.clone());
            }
            if (noiseIntegrated != null) {
                m.put("noise_proposal", noiseIntegrated.proposal().label());
                m.put("noise_draws", noiseIntegrated.draws());
                m.put("fixed_noise_objective", finiteOrNull(noiseIntegrated.fixedNoiseObjective()));
                m.put("noise_gap", finiteOrNull(noiseIntegrated.gap()));
                m.put("noise_gap_standard_error", finiteOrNull(noiseIntegrated.gapStandardError()));
                if (noiseIntegrated.proposal() == NoiseIntegration.Proposal.PRIOR) {
                    m.put("lower_objective", finiteOrNull(noiseIntegrated.lowerObjective()));
                }
                m.put("unsolved_preimages", noiseIntegrated.unsolved());
            }
            return m;
        }

        private static Double finiteOrNull(double v) {
            return Double.isFinite(v) ? v : null;
        }

        /**
         * @return s itself when every step has the same, else the mean of the per-step sizes
         */
        public double sharedStepSize() {
            return shared(stepSizes);
        }

        /**
         * Whether every step's Jacobian stayed positive definite along every chain. Each factor 1 -
         * (s^2/2) mu starts at 1 for s = 0; a negative one means that some smaller s made dF/de_0
         * singular and the map folds, so several e_0 reach e_K and log p(e_0) - log|det| counts
         * only one of them: log q is underestimated and the objective biased low
         * (docs/STEPSIZE.md).
         *
         * @return true if the estimate is finite and the change of variables holds at the chains'
         *     points
         */
        public boolean isAdmissible() {
            return isFinite() && minEigenvalue > 0;
        }
    }

    /**
     * The objective with the injected noise integrated out ({@link NoiseIntegration}), averaged
     * over chains; the estimate's {@code objective} is then this one, which the searches minimise.
     *
     * @param proposal where the noise draws came from
     * @param draws noise draws per chain
     * @param fixedNoiseObjective the mean fixed-noise objective, as without draws
     * @param gap the mean of fixed-noise minus noise-integrated objective over chains: an estimate
     *     of the noise gap I(e_K; eps) (under the prior proposal a lower bound, at most log(M+1))
     * @param gapStandardError its standard error over chains (paired, so much smaller than the
     *     objective's)
     * @param lowerObjective under the prior proposal, the mean of the fresh-draw lower bound over
     *     the chains where it is finite; otherwise NaN
     * @param unsolved draws over all chains whose preimage Newton did not find
     */
    public record NoiseIntegrated(
            NoiseIntegration.Proposal proposal,
            int draws,
            double fixedNoiseObjective,
            double gap,
            double gapStandardError,
            double lowerObjective,
            int unsolved) {}

    private final LatentEnergy energy;
    private final GeneratorEnergy generatorEnergy;

    /**
     * The float32 energy {@link LogDeterminant#FAST} takes Hessians from, or null for exact ones.
     */
    private final GeneratorEnergy curvatureEnergy;

    private final List<NDArray> images;
    private final List<StepSizeObjective.Chain> chains;
    private final int chainsPerExample;
    private final int steps;
    private StepSizeObjective.Chain[][] noiseDraws;
    private NoiseIntegration.Proposal proposal;

    /**
     * Draws the chains for a set of examples.
     *
     * @param generator the generator (copied to float64)
     * @param sigma the observation noise
     * @param images the examples, each {@code [c, h, w]} in [-1, 1]
     * @param chainsPerExample chains per example
     * @param steps K
     * @param random the source of the chains
     * @param manager the manager the float64 copy lives under until {@link #close}
     */
    public StepSizeProblem(
            LatentGenerator generator,
            double sigma,
            List<NDArray> images,
            int chainsPerExample,
            int steps,
            Random random,
            NDManager manager) {
        this(
                generator,
                sigma,
                images,
                chainsPerExample,
                steps,
                random,
                LogDeterminant.EXACT,
                manager);
    }

    /**
     * Draws the chains for a set of examples, with a choice of how log|det| is obtained. The chains
     * drawn from a given {@code random} are the same for both methods.
     *
     * @param generator the generator (copied to float64, and for {@link LogDeterminant#FAST} to
     *     float32 as well)
     * @param sigma the observation noise
     * @param images the examples, each {@code [c, h, w]} in [-1, 1]
     * @param chainsPerExample chains per example
     * @param steps K
     * @param random the source of the chains
     * @param logDeterminant exact (the reference) or fast
     * @param manager the manager the copies live under until {@link #close}
     */
    public StepSizeProblem(
            LatentGenerator generator,
            double sigma,
            List<NDArray> images,
            int chainsPerExample,
            int steps,
            Random random,
            LogDeterminant logDeterminant,
            NDManager manager) {
        if (images.isEmpty() || chainsPerExample <= 0 || steps <= 0) {
            throw new IllegalArgumentException("need at least one example, one chain and one step");
        }
        this.generatorEnergy = new GeneratorEnergy(generator, sigma, manager);
        this.curvatureEnergy =
                logDeterminant == LogDeterminant.FAST
                        ? new GeneratorEnergy(generator, sigma, DataType.FLOAT32, manager)
                        : null;
        this.energy = generatorEnergy;
        this.images = images;
        this.chainsPerExample = chainsPerExample;
        this.steps = steps;
        this.chains = draw(images.size() * chainsPerExample, energy.dimension(), steps, random);
    }

    /**
     * A problem over one fixed energy, for energies that are not a generator's (such as {@link
     * LinearGaussianEnergy}).
     *
     * @param energy the energy
     * @param chains how many chains
     * @param steps K
     * @param random the source of the chains
     */
    public StepSizeProblem(LatentEnergy energy, int chains, int steps, Random random) {
        this.generatorEnergy = null;
        this.curvatureEnergy = null;
        this.energy = energy;
        this.images = null;
        this.chainsPerExample = chains;
        this.steps = steps;
        this.chains = draw(chains, energy.dimension(), steps, random);
    }

    private static List<StepSizeObjective.Chain> draw(int count, int d, int steps, Random random) {
        List<StepSizeObjective.Chain> chains = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            chains.add(StepSizeObjective.Chain.draw(d, steps, random));
        }
        return chains;
    }

    /**
     * Integrates the injected noise out of log q with this many fresh noise draws per chain ({@link
     * NoiseIntegration}), drawn once so that every s sees the same ones; 0 goes back to the
     * fixed-noise objective. Each draw costs a few evaluations of the chain: meant for small d. No
     * derivative is available then.
     *
     * @param draws M, at least 0
     * @param proposal where the draws come from
     * @param random the source of the draws
     */
    public void setNoiseDraws(int draws, NoiseIntegration.Proposal proposal, Random random) {
        if (draws < 0) {
            throw new IllegalArgumentException("noise draws must be at least 0, got " + draws);
        }
        this.proposal = java.util.Objects.requireNonNull(proposal, "proposal");
        if (draws == 0) {
            noiseDraws = null;
            return;
        }
        noiseDraws = new StepSizeObjective.Chain[chains.size()][draws];
        for (StepSizeObjective.Chain[] chain : noiseDraws) {
            for (int j = 0; j < draws; j++) {
                chain[j] = StepSizeObjective.Chain.draw(energy.dimension(), steps, random);
            }
        }
    }

    /**
     * @return K
     */
    public int getSteps() {
        return steps;
    }

    /**
     * @return d, the latent dimension over all layers
     */
    public int getDimension() {
        return energy.dimension();
    }

    /**
     * @return how each step's log|det| is obtained
     */
    public LogDeterminant getLogDeterminant() {
        return curvatureEnergy == null ? LogDeterminant.EXACT : LogDeterminant.FAST;
    }

    /**
     * Evaluates the objective with one s for every step.
     *
     * @param s the step size
     * @param withGradient whether to compute the derivative too
     * @return the estimate
     */
    public Estimate evaluate(double s, boolean withGradient) {
        double[] all = new double[steps];
        Arrays.fill(all, s);
        return evaluate(all, withGradient);
    }

    /**
     * Evaluates the objective with a step size per step.
     *
     * @param stepSizes s_1..s_K
     * @param withGradient whether to compute the derivatives too
     * @return the estimate
     */
    public Estimate evaluate(double[] stepSizes, boolean withGradient) {
        if (stepSizes.length != steps) {
            throw new IllegalArgumentException(
                    stepSizes.length + " step sizes for " + steps + " steps");
        }
        double sum = 0;
        double sumSquares = 0;
        double logQ = 0;
        double logJoint = 0;
        double minSingular = Double.POSITIVE_INFINITY;
        double minAbsEigen = Double.POSITIVE_INFINITY;
        double minEigen = Double.POSITIVE_INFINITY;
        double[] gradient = withGradient ? new double[steps] : null;
        if (withGradient && noiseDraws != null) {
            throw new IllegalStateException("the noise-integrated objective has no derivative");
        }
        double fixedSum = 0;
        double gapSum = 0;
        double gapSquares = 0;
        double lowerSum = 0;
        int lowerCount = 0;
        int unsolved = 0;
        int finite = 0;
        int nonFinite = 0;
        for (int n = 0; n < chains.size(); n++) {
            if (images != null && n % chainsPerExample == 0) {
                generatorEnergy.setImage(images.get(n / chainsPerExample));
                if (curvatureEnergy != null) {
                    curvatureEnergy.setImage(images.get(n / chainsPerExample));
                }
            }
            int d = energy.dimension();
            StepSizeObjective.Outputs parts =
                    noiseDraws == null
                            ? new StepSizeObjective.Outputs(null, null, null)
                            : new StepSizeObjective.Outputs(
                                    new org.ejml.data.DMatrixRMaj(d, d),
                                    new double[d],
                                    new org.ejml.data.DMatrixRMaj[steps]);
            StepSizeObjective.Value v =
                    curvatureEnergy == null
                            ? StepSizeObjective.evaluate(
                                    energy, stepSizes, chains.get(n), withGradient, parts)
                            : StepSizeObjective.evaluate(
                                    energy,
                                    curvatureEnergy,
                                    stepSizes,
                                    chains.get(n),
                                    withGradient,
                                    parts);
            if (!v.isFinite() || (withGradient && !allFinite(v.gradient()))) {
                nonFinite++;
                continue;
            }
            finite++;
            double objective = v.objective();
            if (noiseDraws != null) {
                NoiseIntegration.Own own =
                        new NoiseIntegration.Own(
                                chains.get(n),
                                parts.end(),
                                v.logQ(),
                                parts.jacobian(),
                                parts.stepJacobians());
                NoiseIntegration.Result r =
                        NoiseIntegration.logQ(energy, stepSizes, own, noiseDraws[n], proposal);
                unsolved += noiseDraws[n].length - r.solved();
                if (!Double.isFinite(r.logQ())) {
                    finite--;
                    nonFinite++;
                    continue;
                }
                fixedSum += objective;
                objective = r.logQ() - v.logJoint();
                double gap = v.logQ() - r.logQ();
                gapSum += gap;
                gapSquares += gap * gap;
                if (Double.isFinite(r.lowerLogQ())) {
                    lowerSum += r.lowerLogQ() - v.logJoint();
                    lowerCount++;
                }
            }
            sum += objective;
            sumSquares += objective * objective;
            logQ += objective + v.logJoint();
            logJoint += v.logJoint();
            minSingular = Math.min(minSingular, v.minSingularValue());
            minAbsEigen = Math.min(minAbsEigen, v.minAbsEigenvalue());
            minEigen = Math.min(minEigen, v.minEigenvalue());
            if (withGradient) {
                for (int k = 0; k < steps; k++) {
                    gradient[k] += v.gradient()[k];
                }
            }
        }
        if (finite == 0) {
            return new Estimate(
                    stepSizes.clone(),
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    null,
                    nonFinite,
                    null);
        }
        double mean = sum / finite;
        double se = standardError(sum, sumSquares, finite);
        NoiseIntegrated integrated = null;
        if (noiseDraws != null) {
            integrated =
                    new NoiseIntegrated(
                            proposal,
                            noiseDraws[0].length,
                            fixedSum / finite,
                            gapSum / finite,
                            standardError(gapSum, gapSquares, finite),
                            lowerCount == 0 ? Double.NaN : lowerSum / lowerCount,
                            unsolved);
        }
        if (withGradient) {
            for (int k = 0; k < steps; k++) {
                gradient[k] /= finite;
            }
        }
        return new Estimate(
                stepSizes.clone(),
                mean,
                se,
                logQ / finite,
                logJoint / finite,
                minSingular,
                minAbsEigen,
                minEigen,
                gradient,
                nonFinite,
                integrated);
    }

    private static double standardError(double sum, double sumSquares, int n) {
        if (n < 2) {
            return Double.NaN;
        }
        double mean = sum / n;
        return Math.sqrt(Math.max(0, sumSquares / n - mean * mean) / (n - 1));
    }

    /** One number for a set of step sizes: the common value if all are equal, else the mean. */
    static double shared(double[] stepSizes) {
        return sameForAllSteps(stepSizes)
                ? stepSizes[0]
                : Arrays.stream(stepSizes).average().orElse(Double.NaN);
    }

    private static boolean sameForAllSteps(double[] stepSizes) {
        return Arrays.stream(stepSizes).allMatch(v -> v == stepSizes[0]);
    }

    private static boolean allFinite(double[] values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        if (curvatureEnergy != null) {
            curvatureEnergy.close();
        }
        if (generatorEnergy != null) {
            generatorEnergy.close();
        }
    }
}
