package org.shortrun.stepsize;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The two searches over s the paper uses, and the per-step variant it names as future work: a grid,
 * and gradient descent on log s (which keeps s positive) with Adam's normalised steps. By default
 * both take the lowest finite estimate, as the paper does ({@link Selection#LOWEST_FINITE});
 * restricting them to admissible estimates ({@link StepSizeProblem.Estimate#isAdmissible}) is an
 * option, a stability condition rather than a variational optimum (docs/STEPSIZE.md).
 */
public final class StepSizeSearch {

    /** Which estimates a search may choose. */
    public enum Selection {
        /**
         * Only admissible ones: no step's Jacobian had a non-positive eigenvalue. This keeps s
         * below the stiffest direction's curvature bound, which is a stability condition: it
         * rejects estimates that are exact (all of them, for a linear generator).
         */
        ADMISSIBLE,
        /** Any finite one: the paper's rule, and the default. */
        LOWEST_FINITE;

        /** The rule searches use unless told otherwise: the paper's. */
        public static final Selection DEFAULT = LOWEST_FINITE;

        /**
         * Whether a search may choose an estimate.
         *
         * @param e the estimate
         * @return true if it may
         */
        public boolean accepts(StepSizeProblem.Estimate e) {
            return this == ADMISSIBLE ? e.isAdmissible() : e.isFinite();
        }

        /**
         * The rule's name as the command and config files write it.
         *
         * @return {@code admissible} or {@code lowest}
         */
        public String label() {
            return this == ADMISSIBLE ? "admissible" : "lowest";
        }

        /**
         * Parses a rule's name: {@code lowest} (the paper's rule) or {@code admissible}.
         *
         * @param option the option or setting the name came from, which the message names
         * @param value the name
         * @return the rule
         * @throws org.shortrun.InputException if the name is neither
         */
        public static Selection parse(String option, String value) {
            return switch (value) {
                case "admissible" -> ADMISSIBLE;
                case "lowest" -> LOWEST_FINITE;
                default ->
                        throw new org.shortrun.InputException(
                                option + " must be lowest or admissible, got '" + value + "'");
            };
        }
    }

    /**
     * A search's outcome.
     *
     * @param best the minimiser found (one value per step; all equal unless per-step)
     * @param bestEstimate the objective there
     * @param trace every evaluation, in order
     */
    public record Result(
            double[] best,
            StepSizeProblem.Estimate bestEstimate,
            List<StepSizeProblem.Estimate> trace) {

        /**
         * @return the minimiser as one number: s itself, or the mean of the per-step sizes
         */
        public double bestShared() {
            return StepSizeProblem.shared(best);
        }
    }

    private StepSizeSearch() {}

    /**
     * Evaluates every s of a grid (one s for all steps) and returns the minimiser among the
     * estimates the selection accepts.
     *
     * @param problem the objective
     * @param grid the step sizes, all positive
     * @param selection which estimates may be chosen
     * @param listener told each estimate as it is made
     * @return the result; {@code best} is null if no s was accepted
     */
    public static Result grid(
            StepSizeProblem problem,
            double[] grid,
            Selection selection,
            Consumer<StepSizeProblem.Estimate> listener) {
        List<StepSizeProblem.Estimate> trace = new ArrayList<>();
        for (double s : grid) {
            StepSizeProblem.Estimate e = problem.evaluate(s, false);
            trace.add(e);
            listener.accept(e);
        }
        StepSizeProblem.Estimate best = lowest(trace, selection);
        return new Result(best == null ? null : best.stepSizes(), best, trace);
    }

    /**
     * The lowest objective among the estimates a selection accepts.
     *
     * @param estimates the estimates
     * @param selection which may be chosen
     * @return the lowest, or null if none is accepted
     */
    public static StepSizeProblem.Estimate lowest(
            List<StepSizeProblem.Estimate> estimates, Selection selection) {
        StepSizeProblem.Estimate best = null;
        for (StepSizeProblem.Estimate e : estimates) {
            if (selection.accepts(e) && (best == null || e.objective() < best.objective())) {
                best = e;
            }
        }
        return best;
    }

    /**
     * Gradient descent on log s, from a start, for a number of iterations.
     *
     * @param problem the objective
     * @param start s_1..s_K to start from (use equal values for a shared s)
     * @param perStep whether each step keeps its own size; otherwise they move together
     * @param iterations how many gradient steps
     * @param rate Adam's step on log s (0.05 moves s by about 5 % per iteration)
     * @param selection which estimates may be chosen, and stepped back from if not (under the
     *     paper's rule only non-finite ones: there are no walls at the fold)
     * @param listener told each estimate as it is made
     * @return the result: the lowest accepted objective seen ({@code best} null if none)
     */
    public static Result gradient(
            StepSizeProblem problem,
            double[] start,
            boolean perStep,
            int iterations,
            double rate,
            Selection selection,
            Consumer<StepSizeProblem.Estimate> listener) {
        int steps = start.length;
        double[] logS = new double[steps];
        for (int k = 0; k < steps; k++) {
            logS[k] = Math.log(start[k]);
        }
        int n = perStep ? steps : 1;
        double[] m = new double[n];
        double[] v = new double[n];
        double beta1 = 0.9;
        double beta2 = 0.999;
        List<StepSizeProblem.Estimate> trace = new ArrayList<>();
        double[] lastAccepted = null;
        for (int t = 1; t <= iterations + 1; t++) {
            double[] s = new double[steps];
            for (int k = 0; k < steps; k++) {
                s[k] = Math.exp(logS[k]);
            }
            StepSizeProblem.Estimate e = problem.evaluate(s, t <= iterations);
            trace.add(e);
            listener.accept(e);
            if (t > iterations) {
                break;
            }
            if (!selection.accepts(e) || e.gradient() == null) {
                // non-finite (or, under the admissible rule, past the fold): halve the way back
                // to the last accepted point, or without one step towards smaller s, where the
                // map contracts
                for (int k = 0; k < steps; k++) {
                    logS[k] =
                            lastAccepted != null
                                    ? 0.5 * (logS[k] + lastAccepted[k])
                                    : logS[k] - 10 * rate;
                }
                continue;
            }
            lastAccepted = logS.clone();
            for (int j = 0; j < n; j++) {
                // d/d log s_k = s_k d/d s_k; shared: the sum over steps
                double g = 0;
                if (perStep) {
                    g = s[j] * e.gradient()[j];
                } else {
                    for (int k = 0; k < steps; k++) {
                        g += s[k] * e.gradient()[k];
                    }
                }
                m[j] = beta1 * m[j] + (1 - beta1) * g;
                v[j] = beta2 * v[j] + (1 - beta2) * g * g;
                double mHat = m[j] / (1 - Math.pow(beta1, t));
                double vHat = v[j] / (1 - Math.pow(beta2, t));
                double delta = rate * mHat / (Math.sqrt(vHat) + 1e-12);
                if (perStep) {
                    logS[j] -= delta;
                } else {
                    for (int k = 0; k < steps; k++) {
                        logS[k] -= delta;
                    }
                }
            }
        }
        StepSizeProblem.Estimate best = lowest(trace, selection);
        return new Result(best == null ? null : best.stepSizes(), best, trace);
    }
}
