package org.shortrun.stepsize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.shortrun.model.LadderGenerator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The Monte Carlo step-size objective of a generator over a set of examples and chains: the
 * average over them of {@link StepSizeObjective}. The chains (starts and injected noise) are
 * drawn once, so every s is judged on the same draws and the objective is a smooth function of s.
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
            int nonFinite) {

        /** @return whether every chain gave a finite objective */
        public boolean isFinite() {
            return nonFinite == 0 && Double.isFinite(objective);
        }

        /**
         * The estimate as the command prints it and training logs it: snake_case keys, null for
         * a number that is not finite, s as one number when all steps share it.
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
                m.put("d_objective_ds", shared ? (Object) Arrays.stream(gradient).sum() : (Object) gradient.clone());
            }
            return m;
        }

        private static Double finiteOrNull(double v) {
            return Double.isFinite(v) ? v : null;
        }

        /** @return s itself when every step has the same, else the mean of the per-step sizes */
        public double sharedStepSize() {
            return shared(stepSizes);
        }

        /**
         * Whether every step's Jacobian stayed positive definite along every chain. Each factor
         * 1 - (s^2/2) mu starts at 1 for s = 0; a negative one means that some smaller s made
         * dF/de_0 singular and the map folds, so several e_0 reach e_K and log p(e_0) -
         * log|det| counts only one of them: log q is underestimated and the objective biased
         * low (docs/STEPSIZE.md).
         *
         * @return true if the estimate is finite and the change of variables holds at the chains'
         *     points
         */
        public boolean isAdmissible() {
            return isFinite() && minEigenvalue > 0;
        }
    }

    private final LatentEnergy energy;
    private final GeneratorEnergy generatorEnergy;
    /** The float32 energy {@link LogDeterminant#FAST} takes Hessians from, or null for exact ones. */
    private final GeneratorEnergy curvatureEnergy;
    private final List<NDArray> images;
    private final List<StepSizeObjective.Chain> chains;
    private final int chainsPerExample;
    private final int steps;

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
            LadderGenerator generator, double sigma, List<NDArray> images, int chainsPerExample, int steps, Random random, NDManager manager) {
        this(generator, sigma, images, chainsPerExample, steps, random, LogDeterminant.EXACT, manager);
    }

    /**
     * Draws the chains for a set of examples, with a choice of how log|det| is obtained. The
     * chains drawn from a given {@code random} are the same for both methods.
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
            LadderGenerator generator,
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
        this.curvatureEnergy = logDeterminant == LogDeterminant.FAST ? new GeneratorEnergy(generator, sigma, DataType.FLOAT32, manager) : null;
        this.energy = generatorEnergy;
        this.images = images;
        this.chainsPerExample = chainsPerExample;
        this.steps = steps;
        this.chains = draw(images.size() * chainsPerExample, energy.dimension(), steps, random);
    }

    /** A problem over one fixed energy, for energies that are not a generator's. */
    StepSizeProblem(LatentEnergy energy, int chains, int steps, Random random) {
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

    /** @return K */
    public int getSteps() {
        return steps;
    }

    /** @return d, the latent dimension over all layers */
    public int getDimension() {
        return energy.dimension();
    }

    /** @return how each step's log|det| is obtained */
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
            throw new IllegalArgumentException(stepSizes.length + " step sizes for " + steps + " steps");
        }
        double sum = 0;
        double sumSquares = 0;
        double logQ = 0;
        double logJoint = 0;
        double minSingular = Double.POSITIVE_INFINITY;
        double minAbsEigen = Double.POSITIVE_INFINITY;
        double minEigen = Double.POSITIVE_INFINITY;
        double[] gradient = withGradient ? new double[steps] : null;
        int finite = 0;
        int nonFinite = 0;
        for (int n = 0; n < chains.size(); n++) {
            if (images != null && n % chainsPerExample == 0) {
                generatorEnergy.setImage(images.get(n / chainsPerExample));
                if (curvatureEnergy != null) {
                    curvatureEnergy.setImage(images.get(n / chainsPerExample));
                }
            }
            StepSizeObjective.Value v = curvatureEnergy == null
                    ? StepSizeObjective.evaluate(energy, stepSizes, chains.get(n), withGradient)
                    : StepSizeObjective.evaluate(energy, curvatureEnergy, stepSizes, chains.get(n), withGradient);
            if (!v.isFinite() || (withGradient && !allFinite(v.gradient()))) {
                nonFinite++;
                continue;
            }
            finite++;
            sum += v.objective();
            sumSquares += v.objective() * v.objective();
            logQ += v.logQ();
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
            return new Estimate(stepSizes.clone(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, null, nonFinite);
        }
        double mean = sum / finite;
        double se = finite > 1 ? Math.sqrt(Math.max(0, sumSquares / finite - mean * mean) / (finite - 1)) : Double.NaN;
        if (withGradient) {
            for (int k = 0; k < steps; k++) {
                gradient[k] /= finite;
            }
        }
        return new Estimate(stepSizes.clone(), mean, se, logQ / finite, logJoint / finite, minSingular, minAbsEigen, minEigen, gradient, nonFinite);
    }

    /** One number for a set of step sizes: the common value if all are equal, else the mean. */
    static double shared(double[] stepSizes) {
        return sameForAllSteps(stepSizes) ? stepSizes[0] : Arrays.stream(stepSizes).average().orElse(Double.NaN);
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
