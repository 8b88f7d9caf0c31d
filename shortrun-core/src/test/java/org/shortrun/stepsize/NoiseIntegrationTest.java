package org.shortrun.stepsize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

/**
 * The noise gap and its closing on a linear generator, where everything has a closed form: d = 9, D
 * = 60, sigma = 0.2, K = 18, the setting of the outside check that found the gap.
 */
class NoiseIntegrationTest {

    private static final int STEPS = 18;
    private static final LinearGaussianEnergy ENERGY =
            LinearGaussianEnergy.random(9, 60, 0.2, 0.2, 7);

    private static double[] shared(double s) {
        double[] all = new double[STEPS];
        Arrays.fill(all, s);
        return all;
    }

    /**
     * I(e_K; eps) = (1/2) log det Cov(e_K) - (1/2) log det (A^K A^K^T): in H's eigenbasis each
     * direction with step factor a contributes (1/2) log(1 + s^2 sum_{j<K} a^{2j} / a^{2K}).
     */
    private static double gapByEigenvalues(double s) {
        DMatrixRMaj h = ENERGY.precision();
        EigenDecomposition_F64<DMatrixRMaj> eig =
                DecompositionFactory_DDRM.eig(h.numRows, false, true);
        assertTrue(eig.decompose(h));
        double gap = 0;
        for (int i = 0; i < h.numRows; i++) {
            double a2 = Math.pow(1 - s * s / 2 * eig.getEigenvalue(i).getReal(), 2);
            double noise = 0;
            for (int j = 0; j < STEPS; j++) {
                noise += s * s * Math.pow(a2, j);
            }
            gap += 0.5 * Math.log(1 + noise / Math.pow(a2, STEPS));
        }
        return gap;
    }

    @Test
    void theGapIsTheMutualInformationBetweenTheEndAndTheNoise() {
        double previous = 0;
        for (double s : new double[] {0.013, 0.03, 0.05, 0.065, 0.08, 0.1, 0.115, 0.13}) {
            LinearGaussianEnergy.Exact exact = ENERGY.exact(shared(s));
            assertEquals(
                    gapByEigenvalues(s),
                    exact.noiseGap(),
                    1e-9 * (1 + exact.noiseGap()),
                    "gap at s = " + s);
            assertTrue(
                    exact.noiseGap() > previous,
                    "the gap grows with s here: " + exact.noiseGap() + " at " + s);
            previous = exact.noiseGap();
        }
        assertEquals(1.32, ENERGY.exact(shared(0.05)).noiseGap(), 0.01);
        assertEquals(41.05, ENERGY.exact(shared(0.1)).noiseGap(), 0.01);
    }

    @Test
    void theFixedNoiseEstimateIsThePaperObjectivePlusTheGapAndPullsTheMinimiserDown() {
        StepSizeProblem problem = new StepSizeProblem(ENERGY, 400, STEPS, new Random(11));
        double[] grid = {0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12};
        double exactBest = Double.POSITIVE_INFINITY;
        double exactAt = 0;
        for (double s : grid) {
            LinearGaussianEnergy.Exact exact = ENERGY.exact(shared(s));
            StepSizeProblem.Estimate e = problem.evaluate(s, false);
            assertEquals(
                    exact.fixedNoiseObjective(),
                    e.objective(),
                    3.5 * e.standardError(),
                    "fixed-noise estimate at s = " + s);
            if (exact.objective() < exactBest) {
                exactBest = exact.objective();
                exactAt = s;
            }
        }
        double chosen =
                StepSizeSearch.grid(problem, grid, StepSizeSearch.Selection.DEFAULT, e -> {})
                        .best()[0];
        assertTrue(
                exactAt >= 0.09,
                "the paper objective's minimiser on this grid, "
                        + exactAt
                        + ", lies at 0.09 or above");
        assertTrue(
                chosen <= 0.07,
                "the fixed-noise minimiser " + chosen + " should sit well below the true one");
        assertTrue(
                ENERGY.exact(shared(chosen)).objective() - exactBest > 1,
                "and cost more than a nat of the true objective");
    }

    @Test
    void theLinearisedProposalIntegratesTheNoiseExactlyForALinearGenerator() {
        StepSizeProblem problem = new StepSizeProblem(ENERGY, 300, STEPS, new Random(12));
        problem.setNoiseDraws(3, NoiseIntegration.Proposal.LINEARISED, new Random(13));
        for (double s : new double[] {0.03, 0.05, 0.08, 0.115}) {
            LinearGaussianEnergy.Exact exact = ENERGY.exact(shared(s));
            StepSizeProblem.Estimate e = problem.evaluate(s, false);
            StepSizeProblem.NoiseIntegrated n = e.noiseIntegrated();
            assertEquals(
                    0, n.unsolved(), "an affine map has one preimage, found in one Newton step");
            assertEquals(
                    exact.objective(),
                    e.objective(),
                    3 * e.standardError(),
                    "noise-integrated objective at s = " + s);
            assertEquals(
                    exact.noiseGap(),
                    n.gap(),
                    3 * n.gapStandardError() + 1e-9,
                    "the gap at s = " + s);
            assertEquals(
                    exact.fixedNoiseObjective(),
                    n.fixedNoiseObjective(),
                    3.5 * (e.standardError() + n.gapStandardError()) + 3,
                    "s = " + s);
        }
        double[] grid = {0.04, 0.06, 0.08, 0.10, 0.12};
        double chosen =
                StepSizeSearch.grid(problem, grid, StepSizeSearch.Selection.DEFAULT, e -> {})
                        .best()[0];
        double best =
                Arrays.stream(grid)
                        .map(s -> ENERGY.exact(shared(s)).objective())
                        .min()
                        .orElseThrow();
        assertTrue(
                ENERGY.exact(shared(chosen)).objective() - best < 0.2,
                "integrated, the search's choice "
                        + chosen
                        + " is within 0.2 nats of the true optimum");
    }

    @Test
    void priorDrawsBracketTheLogDensityButCloseAtMostLogMPlusOneNats() {
        StepSizeProblem problem = new StepSizeProblem(ENERGY, 200, STEPS, new Random(14));
        int draws = 100;
        problem.setNoiseDraws(draws, NoiseIntegration.Proposal.PRIOR, new Random(15));
        StepSizeProblem.Estimate small = problem.evaluate(0.05, false);
        double gap = ENERGY.exact(shared(0.05)).noiseGap();
        StepSizeProblem.NoiseIntegrated n = small.noiseIntegrated();
        assertEquals(
                gap,
                n.gap(),
                3 * n.gapStandardError(),
                "a 1.3-nat gap is within reach of 100 draws");
        assertTrue(
                n.lowerObjective() <= small.objective(),
                "the fresh-draw average lies below the contrastive one");
        StepSizeProblem.Estimate large = problem.evaluate(0.08, false);
        assertTrue(
                large.noiseIntegrated().gap() <= Math.log(draws + 1) + 1e-9,
                "closed " + large.noiseIntegrated().gap());
        assertTrue(
                ENERGY.exact(shared(0.08)).noiseGap() > 10,
                "while the gap is " + ENERGY.exact(shared(0.08)).noiseGap());
    }
}
