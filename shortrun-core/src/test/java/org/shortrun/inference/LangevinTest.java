package org.shortrun.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import org.junit.jupiter.api.Test;
import org.shortrun.engine.GradientCheck;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

import java.util.ArrayList;
import java.util.List;

class LangevinTest {

    /**
     * The batched float32 update and the float64 one the step-size objective differentiates are
     * the same rule: from the same e, gradient and noise, at a batch of 16 and d = 112, they agree
     * to float32 precision. The float64 form takes the whole energy's gradient, likelihood scaled
     * by 1/(2 sigma^2) plus the prior's e.
     */
    @Test
    void theFloat32AndFloat64UpdatesAreOneRule() {
        java.util.Random random = new java.util.Random(17);
        int n = 16;
        int d = 112;
        float s = 0.05f;
        float sigma = 0.15f;
        float inverseTwoVariance = 1f / (2f * sigma * sigma);
        float[] e = new float[n * d];
        float[] g = new float[n * d];
        float[] eps = new float[n * d];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) random.nextGaussian();
            g[i] = (float) (random.nextGaussian() * 30);
            eps[i] = (float) random.nextGaussian();
        }
        float[] batched;
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(n, d);
            batched = Langevin.update(manager.create(e, shape), manager.create(g, shape), s, inverseTwoVariance, manager.create(eps, shape)).toFloatArray();
        }
        double worst = 0;
        for (int b = 0; b < n; b++) {
            double[] e64 = new double[d];
            double[] gradient = new double[d];
            double[] noise = new double[d];
            for (int i = 0; i < d; i++) {
                e64[i] = e[b * d + i];
                gradient[i] = (double) g[b * d + i] * (1.0 / (2.0 * (double) sigma * sigma)) + e64[i];
                noise[i] = eps[b * d + i];
            }
            Langevin.update(e64, gradient, s, noise);
            for (int i = 0; i < d; i++) {
                worst = Math.max(worst, Math.abs(e64[i] - batched[b * d + i]) / (1 + Math.abs(e64[i])));
            }
        }
        assertTrue(worst < 1e-5, "float32 and float64 updates differ by " + worst);
    }

    private static LadderGenerator generator(NDManager manager) {
        Engine.getInstance().setRandomSeed(17);
        LadderGenerator g = new LadderGenerator(LadderConfig.builder().setZDims(4, 8).optChannels(16).optImageChannels(1).build());
        g.initialize(manager, DataType.FLOAT32, g.inputShapes(2));
        return g;
    }

    @Test
    void parametersGetNoGradientAndStayUnchanged() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g = generator(manager);
            ParameterStore ps = new ParameterStore(manager, false);
            List<float[]> before = new ArrayList<>();
            for (Pair<String, Parameter> p : g.getParameters()) {
                before.add(p.getValue().getArray().toFloatArray());
            }
            NDArray x = manager.randomUniform(-1, 1, new Shape(2, 1, 32, 32));
            Langevin.Result result = Langevin.builder().setSteps(5).setStepSize(0.1f).build().infer(g, ps, x, null, 0.3f, false);
            assertEquals(2, result.getLatents().size());
            int i = 0;
            for (Pair<String, Parameter> p : g.getParameters()) {
                NDArray w = p.getValue().getArray();
                assertArrayEquals(before.get(i++), w.toFloatArray(), p.getKey() + " changed");
                assertTrue(w.hasGradient(), p.getKey() + " was left frozen");
                assertEquals(0f, w.getGradient().abs().sum().getFloat(), p.getKey() + " received a gradient");
            }
            // The check can fail: a plain backward through g does give the parameters gradients.
            try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                c.backward(g.forward(ps, result.getLatents(), true).singletonOrThrow().sum());
            }
            float total = 0;
            for (Pair<String, Parameter> p : g.getParameters()) {
                total += p.getValue().getArray().getGradient().abs().sum().getFloat();
            }
            assertTrue(total > 0f);
        }
    }

    @Test
    void energyFallsOnAFixedImage() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g = generator(manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDList target = new NDList(manager.randomNormal(new Shape(2, 4)), manager.randomNormal(new Shape(2, 8)));
            NDArray x = g.forward(ps, target, false).singletonOrThrow();
            float[] energies = Langevin.builder().setSteps(30).setStepSize(0.3f).build().infer(g, ps, x, null, 0.3f, true).getEnergies();
            assertNotNull(energies);
            assertEquals(30, energies.length);
            assertTrue(energies[29] < energies[0], "energy did not fall: " + energies[0] + " -> " + energies[29]);
        }
    }

    @Test
    void maskedPixelsDoNotPullTheLatents() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g = generator(manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = manager.randomUniform(-1, 1, new Shape(2, 1, 32, 32));
            NDArray mask = manager.zeros(new Shape(1, 1, 32, 32));
            Langevin sampler = Langevin.builder().setSteps(3).setStepSize(0.1f).build();
            Engine.getInstance().setRandomSeed(5);
            NDList a = sampler.infer(g, ps, x, mask, 0.3f, false).getLatents();
            Engine.getInstance().setRandomSeed(5);
            NDList b = sampler.infer(g, ps, x.neg(), mask, 0.3f, false).getLatents();
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i).toFloatArray(), b.get(i).toFloatArray(), 1e-6f);
            }
        }
    }

    /**
     * One step on the demo's generator at batch 16 against the update computed in float64 from
     * the same initial latents and noise: e1 - e0 - s * noise = -(s^2/2) (grad_e ||x - g(e0)||^2 /
     * (2 sigma^2) + e0).
     */
    @Test
    void oneStepMatchesTheUpdateInFloat64() {
        float s = 0.1f;
        float sigma = 0.3f;
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(21);
            LadderGenerator g = new LadderGenerator(LadderConfig.builder().setZDims(16, 32, 64).optChannels(16).optImageChannels(1).build());
            g.initialize(manager, DataType.FLOAT32, g.inputShapes(1));
            LadderGenerator reference = g.copyAs(DataType.FLOAT64, manager);
            NDArray x = manager.randomUniform(-1, 1, new Shape(16, 1, 32, 32));
            Engine.getInstance().setRandomSeed(22);
            NDList after = Langevin.builder().setSteps(1).setStepSize(s).build().infer(g, new ParameterStore(manager, false), x, null, sigma, false).getLatents();
            // the same draws as infer: the initial latents, then the step's noise, layer by layer
            Engine.getInstance().setRandomSeed(22);
            NDList start = new NDList();
            NDList noise = new NDList();
            for (Shape shape : g.inputShapes(16)) {
                start.add(manager.randomNormal(shape));
            }
            for (Shape shape : g.inputShapes(16)) {
                noise.add(manager.randomNormal(shape));
            }
            NDList start64 = new NDList();
            for (NDArray e : start) {
                NDArray e64 = e.toType(DataType.FLOAT64, true);
                e64.setRequiresGradient(true);
                start64.add(e64);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray x64 = x.toType(DataType.FLOAT64, true);
                collector.backward(x64.sub(reference.forward(new ParameterStore(manager, false), start64, true).singletonOrThrow()).square().sum());
            }
            double drift = s * s / 2.0;
            for (int l = 0; l < start.size(); l++) {
                double[] e0 = start64.get(l).toDoubleArray();
                double[] gradient = start64.get(l).getGradient().toDoubleArray();
                double[] e1 = after.get(l).toType(DataType.FLOAT64, false).toDoubleArray();
                double[] eps = noise.get(l).toType(DataType.FLOAT64, false).toDoubleArray();
                double[] expected = new double[e0.length];
                double[] actual = new double[e0.length];
                for (int k = 0; k < e0.length; k++) {
                    expected[k] = -drift * (gradient[k] / (2.0 * sigma * sigma) + e0[k]);
                    actual[k] = e1[k] - e0[k] - s * eps[k];
                }
                double error = GradientCheck.relativeError(actual, expected);
                assertTrue(error < 1e-4, "layer " + l + ": relative error " + error);
            }
        }
    }

    @Test
    void rejectsNonPositiveSettings() {
        assertThrows(IllegalArgumentException.class, () -> Langevin.builder().setSteps(0).build());
        assertThrows(IllegalArgumentException.class, () -> Langevin.builder().setStepSize(0f).build());
        assertThrows(IllegalArgumentException.class, () -> Langevin.builder().setStepSize(-0.1f).build());
    }
}
