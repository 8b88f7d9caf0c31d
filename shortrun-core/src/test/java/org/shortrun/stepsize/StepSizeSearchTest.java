package org.shortrun.stepsize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The searches on an energy shaped like a generator's: a sharp well at 0 whose curvature falls to
 * the prior's 1 far away. Past s = sqrt(2 / 401) the Langevin map folds near 0, the objective's
 * estimate is biased low there (docs/STEPSIZE.md), and its lowest grid value lies past the fold.
 */
class StepSizeSearchTest {

    /** U(e) = e^2 / 2 + log cosh(20 e), summed over coordinates; U'' = 1 + 400 sech^2(20 e). */
    static final class WellEnergy implements LatentEnergy {
        private final int d;

        WellEnergy(int d) {
            this.d = d;
        }

        @Override
        public int dimension() {
            return d;
        }

        @Override
        public double logNormalizer() {
            return 0;
        }

        @Override
        public void evaluate(double[] points, int m, double[] energies, double[] gradients) {
            for (int p = 0; p < m; p++) {
                double u = 0;
                for (int i = 0; i < d; i++) {
                    double e = points[p * d + i];
                    u += e * e / 2 + Math.log(Math.cosh(20 * e));
                    gradients[p * d + i] = e + 20 * Math.tanh(20 * e);
                }
                energies[p] = u;
            }
        }
    }

    private static final double FOLD = Math.sqrt(2.0 / 401);

    /**
     * The paper's objective E[log q_s(e_K) + U(e_K)] of the one-dimensional well with the noise
     * integrated out exactly: q_s propagated on a fine grid, each step a deterministic move then a
     * Gaussian of variance s^2.
     */
    static double exactObjective(double s, int steps) {
        int n = 6001;
        double lo = -6;
        double dx = 12.0 / (n - 1);
        double[] x = new double[n];
        double[] q = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + i * dx;
            q[i] = Math.exp(-x[i] * x[i] / 2) / Math.sqrt(2 * Math.PI);
        }
        for (int k = 0; k < steps; k++) {
            double[] next = new double[n];
            for (int i = 0; i < n; i++) {
                double moved = x[i] - s * s / 2 * (x[i] + 20 * Math.tanh(20 * x[i]));
                double weight = q[i] * dx / (Math.sqrt(2 * Math.PI) * s);
                int from = Math.max(0, (int) ((moved - 9 * s - lo) / dx));
                int to = Math.min(n - 1, (int) ((moved + 9 * s - lo) / dx) + 1);
                for (int j = from; j <= to; j++) {
                    double z = (x[j] - moved) / s;
                    next[j] += weight * Math.exp(-z * z / 2);
                }
            }
            q = next;
        }
        double objective = 0;
        double mass = 0;
        for (int i = 0; i < n; i++) {
            if (q[i] > 0) {
                objective +=
                        q[i]
                                * (Math.log(q[i])
                                        + x[i] * x[i] / 2
                                        + Math.log(Math.cosh(20 * x[i])))
                                * dx;
                mass += q[i] * dx;
            }
        }
        return objective / mass;
    }

    @Test
    void thePaperRuleLandsNearTheTrueOptimumAndTheAdmissibleRuleFarFromIt() {
        StepSizeProblem problem = new StepSizeProblem(new WellEnergy(1), 400, 10, new Random(1));
        double[] grid = {0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20};
        double best = Double.POSITIVE_INFINITY;
        double bestAt = 0;
        for (double s : grid) {
            double exact = exactObjective(s, 10);
            if (exact < best) {
                best = exact;
                bestAt = s;
            }
        }
        assertEquals(0.14, bestAt, 1e-12, "the true optimum");
        assertEquals(2.60, best, 0.01);
        double paper =
                StepSizeSearch.grid(problem, grid, StepSizeSearch.Selection.DEFAULT, e -> {})
                        .best()[0];
        double admissible =
                StepSizeSearch.grid(problem, grid, StepSizeSearch.Selection.ADMISSIBLE, e -> {})
                        .best()[0];
        assertTrue(
                exactObjective(paper, 10) - best < 0.4,
                "the paper's rule picks "
                        + paper
                        + ", "
                        + (exactObjective(paper, 10) - best)
                        + " nats from the optimum");
        assertEquals(0.06, admissible, 1e-12);
        assertEquals(
                8.88,
                exactObjective(admissible, 10),
                0.01,
                "the admissible rule's choice, 6.3 nats worse");
    }

    @Test
    void gridChoosesTheLowestAdmissibleStepSizeNotTheLowestEstimate() {
        StepSizeProblem problem = new StepSizeProblem(new WellEnergy(1), 400, 10, new Random(1));
        double[] grid = {0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20};
        StepSizeSearch.Result result =
                StepSizeSearch.grid(problem, grid, StepSizeSearch.Selection.ADMISSIBLE, e -> {});
        List<StepSizeProblem.Estimate> trace = result.trace();
        for (StepSizeProblem.Estimate e : trace) {
            double s = e.stepSizes()[0];
            assertTrue(e.isFinite(), "s = " + s);
            assertEquals(
                    s < FOLD,
                    e.isAdmissible(),
                    "admissible at s = " + s + ", smallest factor " + e.minEigenvalue());
        }
        StepSizeProblem.Estimate lowest =
                trace.stream()
                        .min((a, b) -> Double.compare(a.objective(), b.objective()))
                        .orElseThrow();
        assertFalse(
                lowest.isAdmissible(),
                "the raw minimum should lie past the fold, at " + lowest.stepSizes()[0]);
        assertNotNull(result.best());
        assertEquals(0.06, result.best()[0], 1e-12, "the admissible minimiser");
        StepSizeSearch.Result asThePaper =
                StepSizeSearch.grid(problem, grid, StepSizeSearch.Selection.LOWEST_FINITE, e -> {});
        assertEquals(
                lowest.stepSizes()[0],
                asThePaper.best()[0],
                0,
                "the paper's rule takes the lowest finite estimate");
    }

    @Test
    void gradientDescentStaysOnTheAdmissibleSide() {
        StepSizeProblem problem = new StepSizeProblem(new WellEnergy(1), 200, 10, new Random(2));
        double[] start = new double[10];
        Arrays.fill(start, 0.03);
        StepSizeSearch.Result result =
                StepSizeSearch.gradient(
                        problem,
                        start,
                        false,
                        25,
                        0.1,
                        StepSizeSearch.Selection.ADMISSIBLE,
                        e -> {});
        assertTrue(
                result.trace().stream().anyMatch(e -> !e.isAdmissible()),
                "the descent should reach the fold and step back");
        assertTrue(result.bestEstimate().isAdmissible());
        double s = result.bestShared();
        assertTrue(
                s < FOLD && s > 0.05,
                "gradient minimiser "
                        + s
                        + " should lie between the grid's 0.06 and the fold "
                        + FOLD);
    }
}
