package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;
import org.shortrun.engine.GradientCheck;
import org.shortrun.inference.PriorLangevin;

/**
 * CLAE's energy-based prior: its contrastive gradient and its Langevin step by hand, its gradients
 * against float64.
 */
class EnergyPriorTest {

    /**
     * A prior whose GELUs sit at +10 or -10, where GELU is the identity or zero to float precision,
     * so E is linear by hand. With d = 2 and two hidden units: layer 1 W1 = [[1, 2], [0, 0]], b1 =
     * (10, -10), so g1 = (10 + e1 + 2 e2, 0); layer 2 W2 = [[1, 0], [0, 3]], b2 = (0, -10), so g2 =
     * (g1_1, 0); layer 3 w3 = (0.5, 3), b3 = 1, so E(e) = 0.5 (10 + e1 + 2 e2) + 1. Per example
     * dE/dw3 = (g1_1, 0), dE/dW2 = [[0.5 g1_1, 0], [0, 0]], dE/dW1 = [[0.5 e1, 0.5 e2], [0, 0]],
     * and every bias's gradient is the same at each e.
     *
     * <p>The loss mean E(positives) - mean E(negatives) with positives (1, 0), (0, 1), (2, 2)
     * (means 1, 1) and negatives (0, 0), (-1, 1) (means -0.5, 0.5): the means differ by 1.5 in e1
     * and 0.5 in e2, so by 2.5 in e1 + 2 e2. The loss is 0.5 * 2.5 = 1.25; its gradients are w3:
     * (2.5, 0), W2: [[1.25, 0], [0, 0]], W1: [[0.75, 0.25], [0, 0]], and 0 for every bias.
     */
    @Test
    void theContrastiveGradientIsTheHandComputedValue() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EnergyPrior prior = handPrior(manager);
            NDArray positives = manager.create(new float[] {1, 0, 0, 1, 2, 2}, new Shape(3, 2));
            NDArray negatives = manager.create(new float[] {0, 0, -1, 1}, new Shape(2, 2));
            float loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray l =
                        prior.contrastiveLoss(
                                new ParameterStore(manager, false), positives, negatives);
                collector.backward(l);
                loss = l.getFloat();
            }
            assertEquals(1.25f, loss, 1e-5f);
            PairList<String, Parameter> p = prior.getParameters();
            float[][] expected = {
                {0.75f, 0.25f, 0, 0}, {0, 0}, {1.25f, 0, 0, 0}, {0, 0}, {2.5f, 0}, {0}
            };
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(
                        expected[i],
                        p.get(i).getValue().getArray().getGradient().toFloatArray(),
                        1e-5f,
                        p.get(i).getKey());
            }
        }
    }

    /**
     * One step of the prior's Langevin from e_0: grad E = (0.5, 1) everywhere near the origin, so
     * e_1 = e_0 - (s^2 / 2) ((0.5, 1) + e_0) + s eps, with e_0 and eps the stream's first two
     * draws.
     */
    @Test
    void aStepOfThePriorsLangevinIsTheHandComputedValue() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EnergyPrior prior = handPrior(manager);
            float s = 0.4f;
            NDArray e =
                    new PriorLangevin(1, s)
                            .sample(
                                    prior,
                                    new ParameterStore(manager, false),
                                    manager,
                                    3,
                                    RandomStream.seeded(9));
            RandomStream draws = RandomStream.seeded(9);
            float[] e0 = draws.normal(manager, new Shape(3, 2)).toFloatArray();
            float[] eps = draws.normal(manager, new Shape(3, 2)).toFloatArray();
            float[] expected = new float[6];
            float[] gradient = {0.5f, 1f};
            for (int i = 0; i < 6; i++) {
                expected[i] = e0[i] - s * s / 2 * (gradient[i % 2] + e0[i]) + s * eps[i];
            }
            assertArrayEquals(expected, e.toFloatArray(), 1e-5f);
            assertTrue(!e.hasGradient() || e.getGradient() != null);
        }
    }

    /**
     * The prior's gradients, for its input and every parameter, against float64 at d = 112 (z-dims
     * 16,32,64) and d = 10.
     */
    @Test
    void gradientsMatchFloat64() {
        for (int d : new int[] {112, 10}) {
            for (int batch : new int[] {2, 64}) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    EnergyPrior single = new EnergyPrior(d);
                    single.initialize(manager, DataType.FLOAT32, RandomStream.seeded(d), batch);
                    EnergyPrior reference = single.copyAs(DataType.FLOAT64, manager);
                    GradientCheck.Result r =
                            GradientCheck.compare(
                                    single,
                                    reference,
                                    new Shape[] {new Shape(batch, d)},
                                    3L * d + batch,
                                    manager);
                    assertTrue(r.agrees(), "d " + d + " batch " + batch + ": " + r);
                }
            }
        }
    }

    static EnergyPrior handPrior(NDManager manager) {
        EnergyPrior prior = new EnergyPrior(2, 2);
        prior.initialize(manager, DataType.FLOAT32, RandomStream.seeded(1), 1);
        float[][] values = {{1, 2, 0, 0}, {10, -10}, {1, 0, 0, 3}, {0, -10}, {0.5f, 3}, {1}};
        PairList<String, Parameter> p = prior.getParameters();
        for (int i = 0; i < values.length; i++) {
            NDArray array = p.get(i).getValue().getArray();
            array.set(new NDIndex("..."), manager.create(values[i], array.getShape()));
        }
        return prior;
    }
}
