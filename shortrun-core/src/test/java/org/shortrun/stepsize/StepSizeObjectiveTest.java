package org.shortrun.stepsize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

/** The objective against a closed form, its Jacobian and derivative against central differences. */
class StepSizeObjectiveTest {

    /** K * sum log|1 - (s^2/2) lambda_i(P)| for a linear generator's energy with Hessian P. */
    static double linearLogDet(LinearGaussianEnergy energy, double s, int steps) {
        DMatrixRMaj precision = energy.precision();
        EigenDecomposition_F64<DMatrixRMaj> eig =
                DecompositionFactory_DDRM.eig(precision.numRows, false, true);
        eig.decompose(precision);
        double sum = 0;
        for (int i = 0; i < precision.numRows; i++) {
            sum += Math.log(Math.abs(1 - s * s / 2 * eig.getEigenvalue(i).getReal()));
        }
        return steps * sum;
    }

    static StepSizeObjective.Chain chain(int d, int steps, Random random) {
        return StepSizeObjective.Chain.draw(d, steps, random);
    }

    static double[] constant(double s, int steps) {
        double[] out = new double[steps];
        Arrays.fill(out, s);
        return out;
    }

    @Test
    void linearGeneratorMatchesTheClosedForm() {
        // U(e) = ||x - W e - b||^2 / (2 sigma^2) + ||e||^2 / 2: every Langevin step is affine
        LinearGaussianEnergy energy = LinearGaussianEnergy.random(6, 40, 0.15, 0.05, 1);
        int steps = 10;
        Random random = new Random(2);
        for (double s : new double[] {0.02, 0.05, 0.1, 0.15}) {
            double exact = linearLogDet(energy, s, steps);
            StepSizeObjective.Value v =
                    StepSizeObjective.evaluate(
                            energy, constant(s, steps), chain(6, steps, random), false);
            assertEquals(exact, v.logDet(), 1e-6 * Math.abs(exact), "log|det| at s = " + s);
            int chains = 400;
            double sum = 0;
            double sumSquares = 0;
            for (int n = 0; n < chains; n++) {
                double o =
                        StepSizeObjective.evaluate(
                                        energy, constant(s, steps), chain(6, steps, random), false)
                                .objective();
                sum += o;
                sumSquares += o * o;
            }
            double mean = sum / chains;
            double standardError = Math.sqrt((sumSquares / chains - mean * mean) / (chains - 1));
            double expected = energy.exact(constant(s, steps)).fixedNoiseObjective();
            assertTrue(
                    Math.abs(mean - expected) < 3 * standardError,
                    "s = "
                            + s
                            + ": Monte Carlo "
                            + mean
                            + " +- "
                            + standardError
                            + ", closed form "
                            + expected);
        }
    }

    private static LadderGenerator tinyLadder(NDManager manager) {
        LadderGenerator g =
                new LadderGenerator(
                        LadderConfig.builder()
                                .setZDims(2, 3)
                                .optChannels(8)
                                .optImageChannels(1)
                                .build());
        g.initialize(manager, DataType.FLOAT32, g.latentShapes(1));
        return g;
    }

    /** The K-step map with fixed noise, run in float64 through the energy's gradients. */
    private static double[] map(
            LatentEnergy energy, double[] stepSizes, double[] start, double[][] noise) {
        int d = start.length;
        double[] e = start.clone();
        double[] u = new double[1];
        double[] g = new double[d];
        for (int k = 0; k < stepSizes.length; k++) {
            energy.evaluate(e, 1, u, g);
            for (int i = 0; i < d; i++) {
                e[i] += -stepSizes[k] * stepSizes[k] / 2 * g[i] + stepSizes[k] * noise[k][i];
            }
        }
        return e;
    }

    @Test
    void ladderJacobianMatchesCentralDifferencesOfTheMap() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(3);
            LadderGenerator g = tinyLadder(manager);
            try (GeneratorEnergy energy = new GeneratorEnergy(g, 0.15, manager)) {
                NDArray x = manager.randomUniform(-1f, 1f, new Shape(1, 32, 32));
                energy.setImage(x);
                int d = energy.dimension();
                int steps = 5;
                double[] s = constant(0.05, steps);
                StepSizeObjective.Chain c = chain(d, steps, new Random(4));
                DMatrixRMaj jacobian = new DMatrixRMaj(d, d);
                StepSizeObjective.evaluate(energy, s, c, false, jacobian);
                double h = 1e-5;
                double worst = 0;
                double scale = 0;
                for (int i = 0; i < d; i++) {
                    double[] plus = c.start().clone();
                    double[] minus = c.start().clone();
                    plus[i] += h;
                    minus[i] -= h;
                    double[] fp = map(energy, s, plus, c.noise());
                    double[] fm = map(energy, s, minus, c.noise());
                    for (int r = 0; r < d; r++) {
                        double fd = (fp[r] - fm[r]) / (2 * h);
                        worst = Math.max(worst, Math.abs(fd - jacobian.get(r, i)));
                        scale = Math.max(scale, Math.abs(fd));
                    }
                }
                assertTrue(
                        worst < 1e-6 * scale,
                        "largest difference " + worst + " against entries up to " + scale);
            }
        }
    }

    @Test
    void derivativeInSMatchesCentralDifferencesOfTheObjective() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(5);
            LadderGenerator g = tinyLadder(manager);
            try (GeneratorEnergy energy = new GeneratorEnergy(g, 0.15, manager)) {
                energy.setImage(manager.randomUniform(-1f, 1f, new Shape(1, 32, 32)));
                int steps = 6;
                StepSizeObjective.Chain c = chain(energy.dimension(), steps, new Random(6));
                for (double s : new double[] {0.04, 0.1}) {
                    StepSizeObjective.Value v =
                            StepSizeObjective.evaluate(energy, constant(s, steps), c, true);
                    double h = 1e-5;
                    double plus =
                            StepSizeObjective.evaluate(energy, constant(s + h, steps), c, false)
                                    .objective();
                    double minus =
                            StepSizeObjective.evaluate(energy, constant(s - h, steps), c, false)
                                    .objective();
                    double central = (plus - minus) / (2 * h);
                    assertEquals(
                            central,
                            v.sharedGradient(),
                            1e-4 * Math.abs(central),
                            "shared s = " + s);
                    // one step's own size
                    double[] up = constant(s, steps);
                    double[] down = constant(s, steps);
                    up[2] += h;
                    down[2] -= h;
                    double perStep =
                            (StepSizeObjective.evaluate(energy, up, c, false).objective()
                                            - StepSizeObjective.evaluate(energy, down, c, false)
                                                    .objective())
                                    / (2 * h);
                    assertEquals(
                            perStep, v.gradient()[2], 1e-4 * Math.abs(perStep), "s_3 at s = " + s);
                }
            }
        }
    }

    @Test
    void evaluationsLeaveNoArraysBehind() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(6);
            LadderGenerator g = tinyLadder(manager);
            try (GeneratorEnergy energy = new GeneratorEnergy(g, 0.15, manager)) {
                energy.setImage(manager.randomUniform(-1f, 1f, new Shape(1, 32, 32)));
                int d = energy.dimension();
                double[] points = new double[3 * d];
                double[] energies = new double[3];
                double[] gradients = new double[3 * d];
                energy.evaluate(points, 3, energies, gradients);
                int before = manager.getManagedArrays().size();
                for (int i = 0; i < 5; i++) {
                    energy.evaluate(points, 3, energies, gradients);
                }
                assertEquals(
                        before,
                        manager.getManagedArrays().size(),
                        "arrays left in the energy's managers by 5 evaluations");
            }
        }
    }
}
