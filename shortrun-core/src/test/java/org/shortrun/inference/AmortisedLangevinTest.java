package org.shortrun.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;

/** Amortised Langevin dynamics' update of W, and its Metropolis-Hastings correction, by hand. */
class AmortisedLangevinTest {

    private static final float[] H = {1, 0, 0, 2};
    private static final float[] X = {1, -1};

    /**
     * A tiny case: W = (0.5, 0.25) maps h_1 = (1, 0) and h_2 = (0, 2) to z_1 = 0.5 and z_2 = 0.5;
     * U_i = (x_i - z_i)^2 / 2 + z_i^2 / 2 with x = (1, -1), so dU_i/dz_i = 2 z_i - x_i = (0, 2) and
     * grad_W sum_i U_i = 0 h_1 + 2 h_2 = (0, 4); the energies are 0.125 + 0.125 and 1.125 + 0.125,
     * a mean of 0.75. With eta = 0.01 and n = 2, W' = W - (eta / n) (0, 4) + sqrt(2 eta / n) eps =
     * (0.5, 0.23) + 0.1 eps.
     */
    @Test
    void anUpdateOfWIsTheHandComputedValue() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AmortisedLangevin sampler =
                    AmortisedLangevin.builder()
                            .setStepSize(0.01f)
                            .optSteps(1)
                            .optBurnIn(0)
                            .optMetropolis(false)
                            .build();
            NDArray w = manager.create(new float[] {0.5f, 0.25f}, new Shape(1, 2));
            AmortisedLangevin.Result r =
                    sampler.run(energy(manager), w, 2, manager, RandomStream.seeded(5));
            float[] eps = RandomStream.seeded(5).normal(manager, new Shape(1, 2)).toFloatArray();
            assertArrayEquals(
                    new float[] {0.5f + 0.1f * eps[0], 0.23f + 0.1f * eps[1]},
                    r.w().toFloatArray(),
                    1e-6f);
            assertArrayEquals(new float[] {0.75f}, r.energies(), 1e-6f);
            assertArrayEquals(
                    new float[] {0.5f, 0.25f},
                    w.toFloatArray(),
                    0f,
                    "the starting W is left as it is");
            assertEquals(0, r.proposals());
            assertEquals(0.1f, sampler.noiseScale(2), 1e-7f);
        }
    }

    /** With one burn-in update, the energy recorded is the one at the W that update reached. */
    @Test
    void theBurnInsEnergyIsNotRecorded() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AmortisedLangevin sampler =
                    AmortisedLangevin.builder()
                            .setStepSize(0.01f)
                            .optSteps(1)
                            .optBurnIn(1)
                            .optMetropolis(false)
                            .build();
            NDArray w = manager.create(new float[] {0.5f, 0.25f}, new Shape(1, 2));
            AmortisedLangevin.Result r =
                    sampler.run(energy(manager), w, 2, manager, RandomStream.seeded(5));
            float[] eps = RandomStream.seeded(5).normal(manager, new Shape(1, 2)).toFloatArray();
            double[] reached = {0.5 + 0.1 * eps[0], 0.23 + 0.1 * eps[1]};
            assertEquals(handEnergy(reached) / 2, r.energies()[0], 1e-5);
        }
    }

    /**
     * log q(to | from) = -||to - from + (s^2 / 2) grad||^2 / (2 s^2): from (0, 0) with gradient (2,
     * -2) and s = 1 the mean is (-1, 1), to (1, 2) is (2, 1) away, so -5/2.
     */
    @Test
    void theProposalDensityIsTheHandComputedValue() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray to = manager.create(new float[] {1, 2});
            NDArray from = manager.create(new float[] {0, 0});
            NDArray gradient = manager.create(new float[] {2, -2});
            assertEquals(-2.5, AmortisedLangevin.logProposal(to, from, gradient, 1f), 1e-9);
        }
    }

    /**
     * Metropolis-Hastings by hand: the proposal W' = W - (s^2/2) g(W) + s eps is accepted when log
     * u < U(W) - U(W') + log q(W | W') - log q(W' | W), with eps and u the stream's first two
     * draws; otherwise W stays. Big steps make both outcomes happen over the seeds.
     */
    @Test
    void metropolisHastingsAcceptsExactlyWhenTheHandComputedRatioSays() {
        int accepted = 0;
        int rejected = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            AmortisedLangevin sampler =
                    AmortisedLangevin.builder()
                            .setStepSize(0.6f)
                            .optSteps(1)
                            .optBurnIn(0)
                            .optMetropolis(true)
                            .build();
            double s = Math.sqrt(2 * 0.6 / 2);
            for (int seed = 1; seed <= 40; seed++) {
                NDArray w = manager.create(new float[] {0.5f, 0.25f}, new Shape(1, 2));
                AmortisedLangevin.Result r =
                        sampler.run(energy(manager), w, 2, manager, RandomStream.seeded(seed));
                RandomStream draws = RandomStream.seeded(seed);
                float[] eps = draws.normal(manager, new Shape(1, 2)).toFloatArray();
                double u = draws.uniform();
                double[] from = {0.5, 0.25};
                double[] g = handGradient(from);
                double[] to = {
                    from[0] - s * s / 2 * g[0] + s * eps[0], from[1] - s * s / 2 * g[1] + s * eps[1]
                };
                double[] back = handGradient(to);
                double logForward =
                        -(square(to[0] - from[0] + s * s / 2 * g[0])
                                        + square(to[1] - from[1] + s * s / 2 * g[1]))
                                / (2 * s * s);
                double logBackward =
                        -(square(from[0] - to[0] + s * s / 2 * back[0])
                                        + square(from[1] - to[1] + s * s / 2 * back[1]))
                                / (2 * s * s);
                boolean accept =
                        Math.log(u) < handEnergy(from) - handEnergy(to) + logBackward - logForward;
                double[] expected = accept ? to : from;
                assertArrayEquals(
                        new float[] {(float) expected[0], (float) expected[1]},
                        r.w().toFloatArray(),
                        1e-5f,
                        "seed " + seed);
                assertEquals(1, r.proposals());
                assertEquals(accept ? 1 : 0, r.accepted(), "seed " + seed);
                if (accept) {
                    accepted++;
                } else {
                    rejected++;
                }
            }
        }
        assertTrue(accepted > 0 && rejected > 0, accepted + " accepted, " + rejected + " rejected");
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        assertThrows(
                IllegalArgumentException.class,
                () -> AmortisedLangevin.builder().setStepSize(0).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> AmortisedLangevin.builder().optSteps(0).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> AmortisedLangevin.builder().optBurnIn(-1).build());
    }

    /** sum_i (x_i - z_i)^2 / 2 + z_i^2 / 2 with z = h W^T, in the graph of w. */
    private static AmortisedLangevin.Energy energy(NDManager manager) {
        NDArray h = manager.create(H, new Shape(2, 2));
        NDArray x = manager.create(X, new Shape(2, 1));
        NDArray half = manager.create(0.5f);
        return (w, learn) -> {
            NDArray z = h.matMul(w.transpose());
            return x.sub(z).square().add(z.square()).sum().mul(half);
        };
    }

    private static double handEnergy(double[] w) {
        double z1 = w[0];
        double z2 = 2 * w[1];
        return (square(1 - z1) + square(z1) + square(-1 - z2) + square(z2)) / 2;
    }

    private static double[] handGradient(double[] w) {
        double z1 = w[0];
        double z2 = 2 * w[1];
        return new double[] {2 * z1 - 1, 2 * (2 * z2 + 1)};
    }

    private static double square(double v) {
        return v * v;
    }
}
