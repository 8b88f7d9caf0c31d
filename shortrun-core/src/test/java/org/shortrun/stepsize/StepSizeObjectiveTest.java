package org.shortrun.stepsize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

import java.util.Arrays;
import java.util.Random;

/** The objective against a closed form, its Jacobian and derivative against central differences. */
class StepSizeObjectiveTest {

    /** U(e) = ||x - W e - b||^2 / (2 sigma^2) + ||e||^2 / 2: every Langevin step is affine. */
    static final class LinearEnergy implements LatentEnergy {
        final int d;
        final int pixels;
        final double sigma;
        final DMatrixRMaj precision;
        final double[] c;
        final double constant;

        LinearEnergy(int d, int pixels, double sigma, long seed) {
            this.d = d;
            this.pixels = pixels;
            this.sigma = sigma;
            Random random = new Random(seed);
            DMatrixRMaj w = new DMatrixRMaj(pixels, d);
            double[] residual = new double[pixels];
            for (int i = 0; i < w.data.length; i++) {
                w.data[i] = random.nextGaussian() * 0.05;
            }
            for (int i = 0; i < pixels; i++) {
                residual[i] = random.nextGaussian() * 0.5; // x - b
            }
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

        @Override
        public int dimension() {
            return d;
        }

        @Override
        public double logNormalizer() {
            return 0.5 * d * Math.log(2 * Math.PI) + 0.5 * pixels * Math.log(2 * Math.PI * sigma * sigma);
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

        /** K * sum log|1 - (s^2/2) lambda_i(P)|. */
        double logDet(double s, int steps) {
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, false, true);
            eig.decompose(precision.copy());
            double sum = 0;
            for (int i = 0; i < d; i++) {
                sum += Math.log(Math.abs(1 - s * s / 2 * eig.getEigenvalue(i).getReal()));
            }
            return steps * sum;
        }

        /** The expectation of the objective: q_s is Gaussian with moments from a recursion. */
        double expectedObjective(double s, int steps) {
            DMatrixRMaj a = CommonOps_DDRM.identity(d);
            CommonOps_DDRM.addEquals(a, -s * s / 2, precision);
            double[] mean = new double[d];
            DMatrixRMaj cov = CommonOps_DDRM.identity(d);
            for (int k = 0; k < steps; k++) {
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
            double energy = 0.5 * CommonOps_DDRM.trace(pc) + constant;
            for (int i = 0; i < d; i++) {
                double pm = 0;
                for (int j = 0; j < d; j++) {
                    pm += precision.get(i, j) * mean[j];
                }
                energy += 0.5 * mean[i] * pm - c[i] * mean[i];
            }
            return -0.5 * d - 0.5 * d * Math.log(2 * Math.PI) - logDet(s, steps) + energy + logNormalizer();
        }
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
        LinearEnergy energy = new LinearEnergy(6, 40, 0.15, 1);
        int steps = 10;
        Random random = new Random(2);
        for (double s : new double[] {0.02, 0.05, 0.1, 0.15}) {
            double exact = energy.logDet(s, steps);
            StepSizeObjective.Value v = StepSizeObjective.evaluate(energy, constant(s, steps), chain(6, steps, random), false);
            assertEquals(exact, v.logDet(), 1e-6 * Math.abs(exact), "log|det| at s = " + s);
            int chains = 400;
            double sum = 0;
            double sumSquares = 0;
            for (int n = 0; n < chains; n++) {
                double o = StepSizeObjective.evaluate(energy, constant(s, steps), chain(6, steps, random), false).objective();
                sum += o;
                sumSquares += o * o;
            }
            double mean = sum / chains;
            double standardError = Math.sqrt((sumSquares / chains - mean * mean) / (chains - 1));
            double expected = energy.expectedObjective(s, steps);
            assertTrue(Math.abs(mean - expected) < 3 * standardError,
                    "s = " + s + ": Monte Carlo " + mean + " +- " + standardError + ", closed form " + expected);
        }
    }

    private static LadderGenerator tinyLadder(NDManager manager) {
        LadderGenerator g = new LadderGenerator(LadderConfig.builder().setZDims(2, 3).optChannels(8).optImageChannels(1).build());
        g.initialize(manager, DataType.FLOAT32, g.inputShapes(1));
        return g;
    }

    /** The K-step map with fixed noise, run in float64 through the energy's gradients. */
    private static double[] map(LatentEnergy energy, double[] stepSizes, double[] start, double[][] noise) {
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
                assertTrue(worst < 1e-6 * scale, "largest difference " + worst + " against entries up to " + scale);
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
                    StepSizeObjective.Value v = StepSizeObjective.evaluate(energy, constant(s, steps), c, true);
                    double h = 1e-5;
                    double plus = StepSizeObjective.evaluate(energy, constant(s + h, steps), c, false).objective();
                    double minus = StepSizeObjective.evaluate(energy, constant(s - h, steps), c, false).objective();
                    double central = (plus - minus) / (2 * h);
                    assertEquals(central, v.sharedGradient(), 1e-4 * Math.abs(central), "shared s = " + s);
                    // one step's own size
                    double[] up = constant(s, steps);
                    double[] down = constant(s, steps);
                    up[2] += h;
                    down[2] -= h;
                    double perStep = (StepSizeObjective.evaluate(energy, up, c, false).objective() - StepSizeObjective.evaluate(energy, down, c, false).objective()) / (2 * h);
                    assertEquals(perStep, v.gradient()[2], 1e-4 * Math.abs(perStep), "s_3 at s = " + s);
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
                assertEquals(before, manager.getManagedArrays().size(), "arrays left in the energy's managers by 5 evaluations");
            }
        }
    }
}
