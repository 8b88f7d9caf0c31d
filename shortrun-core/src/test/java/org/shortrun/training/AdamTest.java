package org.shortrun.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shortrun.engine.GradientCheck;

class AdamTest {

    /** Three updates of the engine's fused Adam against the algorithm computed in float64. */
    @Test
    void updatesMatchTheAlgorithmInFloat64() {
        updatesMatchFloat64(null);
    }

    /**
     * The same with a per-parameter factor on the rate, as CLAE's prior learns: the bias at 0.2 of
     * it.
     */
    @Test
    void perParameterRatesMatchTheAlgorithmInFloat64() {
        updatesMatchFloat64(name -> name.contains("bias") ? 0.2 : 1);
    }

    private static void updatesMatchFloat64(
            java.util.function.ToDoubleFunction<String> multiplier) {
        float beta1 = 0.5f;
        float beta2 = 0.999f;
        float epsilon = 1e-8f;
        float rate = 1e-3f;
        try (NDManager manager = NDManager.newBaseManager();
                Adam adam = new Adam(manager, beta1, beta2, epsilon)) {
            Engine.getInstance().setRandomSeed(41);
            Linear layer = Linear.builder().setUnits(24).build();
            layer.initialize(manager, DataType.FLOAT32, new Shape(16, 40));
            List<double[]> weights = new ArrayList<>();
            List<double[]> means = new ArrayList<>();
            List<double[]> variances = new ArrayList<>();
            for (Pair<String, Parameter> p : layer.getParameters()) {
                double[] w =
                        p.getValue().getArray().toType(DataType.FLOAT64, false).toDoubleArray();
                weights.add(w);
                means.add(new double[w.length]);
                variances.add(new double[w.length]);
            }
            for (int t = 1; t <= 3; t++) {
                try (NDManager scope = manager.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray x = scope.randomNormal(new Shape(16, 40));
                    NDArray y =
                            layer.forward(new ParameterStore(scope, false), new NDList(x), true)
                                    .singletonOrThrow();
                    collector.backward(y.square().sum());
                }
                List<double[]> gradients = new ArrayList<>();
                for (Pair<String, Parameter> p : layer.getParameters()) {
                    gradients.add(
                            p.getValue()
                                    .getArray()
                                    .getGradient()
                                    .toType(DataType.FLOAT64, false)
                                    .toDoubleArray());
                }
                if (multiplier == null) {
                    adam.step(layer.getParameters(), rate);
                } else {
                    adam.step(layer.getParameters(), rate, multiplier);
                }
                for (int i = 0; i < gradients.size(); i++) {
                    double factor =
                            multiplier == null
                                    ? 1
                                    : multiplier.applyAsDouble(
                                            layer.getParameters().get(i).getKey());
                    double corrected =
                            factor
                                    * rate
                                    * Math.sqrt(1 - Math.pow(beta2, t))
                                    / (1 - Math.pow(beta1, t));
                    double[] g = gradients.get(i);
                    double[] w = weights.get(i);
                    double[] m = means.get(i);
                    double[] v = variances.get(i);
                    double[] expectedStep = new double[w.length];
                    for (int k = 0; k < w.length; k++) {
                        m[k] = beta1 * m[k] + (1 - beta1) * g[k];
                        v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k];
                        expectedStep[k] = -corrected * m[k] / (Math.sqrt(v[k]) + epsilon);
                    }
                    double[] actual =
                            layer.getParameters()
                                    .get(i)
                                    .getValue()
                                    .getArray()
                                    .toType(DataType.FLOAT64, false)
                                    .toDoubleArray();
                    double[] actualStep = new double[w.length];
                    for (int k = 0; k < w.length; k++) {
                        actualStep[k] = actual[k] - w[k];
                        w[k] = actual[k];
                    }
                    double error = GradientCheck.relativeError(actualStep, expectedStep);
                    assertTrue(
                            error < 1e-4,
                            "update " + t + " of parameter " + i + ": relative error " + error);
                }
            }
        }
    }
}
