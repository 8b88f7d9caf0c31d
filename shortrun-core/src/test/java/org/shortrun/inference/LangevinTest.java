package org.shortrun.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;
import org.shortrun.engine.GradientCheck;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

class LangevinTest {

    /**
     * The batched float32 update and the float64 one the step-size objective differentiates are the
     * same rule: from the same e, gradient and noise, at a batch of 16 and d = 112, they agree to
     * float32 precision. The float64 form takes the whole energy's gradient, likelihood scaled by
     * 1/(2 sigma^2) plus the prior's e.
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
            batched =
                    Langevin.update(
                                    manager.create(e, shape),
                                    manager.create(g, shape),
                                    s,
                                    inverseTwoVariance,
                                    manager.create(eps, shape))
                            .toFloatArray();
        }
        double worst = 0;
        for (int b = 0; b < n; b++) {
            double[] e64 = new double[d];
            double[] gradient = new double[d];
            double[] noise = new double[d];
            for (int i = 0; i < d; i++) {
                e64[i] = e[b * d + i];
                gradient[i] =
                        (double) g[b * d + i] * (1.0 / (2.0 * (double) sigma * sigma)) + e64[i];
                noise[i] = eps[b * d + i];
            }
            Langevin.update(e64, gradient, s, noise);
            for (int i = 0; i < d; i++) {
                worst =
                        Math.max(
                                worst,
                                Math.abs(e64[i] - batched[b * d + i]) / (1 + Math.abs(e64[i])));
            }
        }
        assertTrue(worst < 1e-5, "float32 and float64 updates differ by " + worst);
    }

    private static LadderGenerator generator(NDManager manager) {
        Engine.getInstance().setRandomSeed(17);
        LadderGenerator g =
                new LadderGenerator(
                        LadderConfig.builder()
                                .setZDims(4, 8)
                                .optChannels(16)
                                .optImageChannels(1)
                                .build());
        g.initialize(manager, DataType.FLOAT32, g.latentShapes(2));
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
            Langevin.Result result =
                    Langevin.builder()
                            .setSteps(5)
                            .setStepSize(0.1f)
                            .build()
                            .infer(g, ps, x, null, 0.3f, false);
            assertEquals(2, result.getLatents().size());
            int i = 0;
            for (Pair<String, Parameter> p : g.getParameters()) {
                NDArray w = p.getValue().getArray();
                assertArrayEquals(before.get(i++), w.toFloatArray(), p.getKey() + " changed");
                assertTrue(w.hasGradient(), p.getKey() + " was left frozen");
                assertEquals(
                        0f,
                        w.getGradient().abs().sum().getFloat(),
                        p.getKey() + " received a gradient");
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
            NDList target =
                    new NDList(
                            manager.randomNormal(new Shape(2, 4)),
                            manager.randomNormal(new Shape(2, 8)));
            NDArray x = g.forward(ps, target, false).singletonOrThrow();
            float[] energies =
                    Langevin.builder()
                            .setSteps(30)
                            .setStepSize(0.3f)
                            .build()
                            .infer(g, ps, x, null, 0.3f, true)
                            .getEnergies();
            assertNotNull(energies);
            assertEquals(30, energies.length);
            assertTrue(
                    energies[29] < energies[0],
                    "energy did not fall: " + energies[0] + " -> " + energies[29]);
        }
    }

    /**
     * What a step computes from the images (the residual, its square, their sum) closes with the
     * step: the arrays left in the images' manager do not grow with K.
     */
    @Test
    void stepsLeaveNothingInTheImagesManager() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g = generator(manager);
            ParameterStore ps = new ParameterStore(manager, false);
            int[] left = new int[2];
            int[] steps = {2, 10};
            for (int i = 0; i < steps.length; i++) {
                try (NDManager images = manager.newSubManager()) {
                    NDArray x = images.randomUniform(-1, 1, new Shape(4, 1, 32, 32));
                    NDArray mask = images.ones(new Shape(1, 1, 32, 32));
                    Langevin.builder()
                            .setSteps(steps[i])
                            .setStepSize(0.1f)
                            .build()
                            .infer(g, ps, x, mask, 0.3f, false);
                    left[i] = images.getManagedArrays().size();
                }
            }
            assertEquals(left[0], left[1], "arrays left after K = 2 and K = 10");
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
     * One step on the demo's generator at batch 16 against the update computed in float64 from the
     * same initial latents and noise: e1 - e0 - s * noise = -(s^2/2) (grad_e ||x - g(e0)||^2 / (2
     * sigma^2) + e0).
     */
    @Test
    void oneStepMatchesTheUpdateInFloat64() {
        float s = 0.1f;
        float sigma = 0.3f;
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(21);
            LadderGenerator g =
                    new LadderGenerator(
                            LadderConfig.builder()
                                    .setZDims(16, 32, 64)
                                    .optChannels(16)
                                    .optImageChannels(1)
                                    .build());
            g.initialize(manager, DataType.FLOAT32, g.latentShapes(1));
            LadderGenerator reference = g.copyAs(DataType.FLOAT64, manager);
            NDArray x = manager.randomUniform(-1, 1, new Shape(16, 1, 32, 32));
            Engine.getInstance().setRandomSeed(22);
            NDList after =
                    Langevin.builder()
                            .setSteps(1)
                            .setStepSize(s)
                            .build()
                            .infer(g, new ParameterStore(manager, false), x, null, sigma, false)
                            .getLatents();
            // the same draws as infer: the initial latents, then the step's noise, layer by layer
            Engine.getInstance().setRandomSeed(22);
            NDList start = new NDList();
            NDList noise = new NDList();
            for (Shape shape : g.latentShapes(16)) {
                start.add(manager.randomNormal(shape));
            }
            for (Shape shape : g.latentShapes(16)) {
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
                collector.backward(
                        x64.sub(
                                        reference
                                                .forward(
                                                        new ParameterStore(manager, false),
                                                        start64,
                                                        true)
                                                .singletonOrThrow())
                                .square()
                                .sum());
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
        assertThrows(
                IllegalArgumentException.class, () -> Langevin.builder().setStepSize(0f).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> Langevin.builder().setStepSize(-0.1f).build());
        assertEquals(
                "2 step sizes for K = 3 steps",
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        Langevin.builder()
                                                .setSteps(3)
                                                .optStepSizes(new float[] {0.1f, 0.1f})
                                                .build())
                        .getMessage());
        assertEquals(
                "step size s_2 must be positive, got 0.0",
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        Langevin.builder()
                                                .setSteps(2)
                                                .optStepSizes(new float[] {0.1f, 0f})
                                                .build())
                        .getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        Langevin.builder()
                                .setSteps(2)
                                .optStepSizes(new float[] {0.1f, Float.NaN})
                                .build());
    }

    /**
     * A schedule reports its sizes, their mean as its one step size, and whether they are shared.
     */
    @Test
    void aScheduleReportsItsSizesAndTheirMean() {
        Langevin shared = Langevin.builder().setSteps(3).setStepSize(0.07f).build();
        assertArrayEquals(new float[] {0.07f, 0.07f, 0.07f}, shared.getStepSizes());
        assertTrue(shared.hasSharedStepSize());
        assertEquals(0.07f, shared.getStepSize());
        Langevin perStep = shared.withStepSizes(new float[] {0.1f, 0.2f, 0.3f});
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f}, perStep.getStepSizes());
        assertFalse(perStep.hasSharedStepSize());
        assertEquals((float) (((double) 0.1f + 0.2f + 0.3f) / 3), perStep.getStepSize());
        assertEquals(3, perStep.getSteps());
        assertTrue(perStep.withStepSize(0.05f).hasSharedStepSize());
        // the builder's last word counts: a shared s replaces a schedule given before it
        assertTrue(
                Langevin.builder()
                        .setSteps(2)
                        .optStepSizes(new float[] {0.1f, 0.2f})
                        .setStepSize(0.05f)
                        .build()
                        .hasSharedStepSize());
    }

    private static final int[] Z_DIMS = {16, 32, 64};
    private static final int BATCH = 16;

    private static LadderGenerator demoGenerator(NDManager manager) {
        LadderGenerator g =
                new LadderGenerator(
                        LadderConfig.builder()
                                .setZDims(Z_DIMS)
                                .optChannels(16)
                                .optImageChannels(1)
                                .build());
        g.initialize(manager, DataType.FLOAT32, RandomStream.seeded(31), 1);
        return g;
    }

    private static float[][] flat(NDList latents) {
        float[][] out = new float[latents.size()][];
        for (int l = 0; l < latents.size(); l++) {
            out[l] = latents.get(l).toFloatArray();
        }
        return out;
    }

    /**
     * Equal per-step sizes are the shared sampler exactly: at the demo's z-dims 16,32,64 and batch
     * 16, from the same seeded draws, every latent is bit for bit the same. A schedule that differs
     * in one step gives other latents, so the comparison can fail.
     */
    @Test
    void equalPerStepSizesAreTheSharedSamplerBitForBit() {
        float s = 0.07f;
        float sigma = 0.3f;
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g = demoGenerator(manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x =
                    RandomStream.seeded(32)
                            .uniform(manager, 1f, new Shape(BATCH, 1, 32, 32), DataType.FLOAT32);
            Langevin shared = Langevin.builder().setSteps(4).setStepSize(s).build();
            Langevin perStep =
                    Langevin.builder().setSteps(4).optStepSizes(new float[] {s, s, s, s}).build();
            Langevin other =
                    Langevin.builder()
                            .setSteps(4)
                            .optStepSizes(new float[] {s, s, 0.08f, s})
                            .build();
            float[][] a =
                    flat(
                            shared.infer(g, ps, x, null, sigma, false, RandomStream.seeded(33))
                                    .getLatents());
            float[][] b =
                    flat(
                            perStep.infer(g, ps, x, null, sigma, false, RandomStream.seeded(33))
                                    .getLatents());
            float[][] c =
                    flat(
                            other.infer(g, ps, x, null, sigma, false, RandomStream.seeded(33))
                                    .getLatents());
            for (int l = 0; l < a.length; l++) {
                assertEquals(BATCH * Z_DIMS[l], a[l].length);
                assertArrayEquals(a[l], b[l], "layer " + l);
                assertFalse(
                        java.util.Arrays.equals(a[l], c[l]),
                        "layer " + l + " does not depend on s_3");
            }
        }
    }

    /**
     * Distinct per-step sizes against the K steps recomputed by hand in float64, at the demo's
     * z-dims 16,32,64 and batch 16: the same e_0 and noise (drawn from the same seeded stream in
     * the sampler's order), each step's gradient from a float64 copy of the generator, and e <- e -
     * (s_k^2/2)(grad/(2 sigma^2) + e) + s_k eps_k. The sampler's latents must agree with it to
     * float32 precision, and be far closer to it than to the same recomputation with the sizes in
     * reverse order, which a sampler that took the wrong s_k would match instead.
     */
    @Test
    void distinctPerStepSizesMatchTheStepsRecomputedInFloat64() {
        double[] sizes = {0.15, 0.04, 0.1};
        float sigma = 0.3f;
        int steps = sizes.length;
        float[] sizes32 = new float[steps];
        for (int k = 0; k < steps; k++) {
            sizes32[k] = (float) sizes[k];
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g = demoGenerator(manager);
            LadderGenerator reference = g.copyAs(DataType.FLOAT64, manager);
            NDArray x =
                    RandomStream.seeded(34)
                            .uniform(manager, 1f, new Shape(BATCH, 1, 32, 32), DataType.FLOAT32);
            float[][] actual =
                    flat(
                            Langevin.builder()
                                    .setSteps(steps)
                                    .optStepSizes(sizes32)
                                    .build()
                                    .infer(
                                            g,
                                            new ParameterStore(manager, false),
                                            x,
                                            null,
                                            sigma,
                                            false,
                                            RandomStream.seeded(35))
                                    .getLatents());
            // the sampler's draws: e_0 layer by layer, then each step's noise layer by layer
            RandomStream stream = RandomStream.seeded(35);
            List<Shape> shapes = List.of(g.latentShapes(BATCH));
            List<double[]> start = new ArrayList<>();
            for (Shape shape : shapes) {
                start.add(
                        stream.normal(manager, shape)
                                .toType(DataType.FLOAT64, false)
                                .toDoubleArray());
            }
            List<List<double[]>> noise = new ArrayList<>();
            for (int k = 0; k < steps; k++) {
                List<double[]> step = new ArrayList<>();
                for (Shape shape : shapes) {
                    step.add(
                            stream.normal(manager, shape)
                                    .toType(DataType.FLOAT64, false)
                                    .toDoubleArray());
                }
                noise.add(step);
            }
            double[] asGiven = new double[steps];
            double[] reversed = new double[steps];
            for (int k = 0; k < steps; k++) {
                asGiven[k] = sizes32[k];
                reversed[k] = sizes32[steps - 1 - k];
            }
            NDArray x64 = x.toType(DataType.FLOAT64, false);
            List<double[]> expected =
                    recompute(reference, manager, x64, shapes, start, noise, asGiven, sigma);
            double wrong =
                    distance(
                            recompute(
                                    reference, manager, x64, shapes, start, noise, reversed, sigma),
                            expected);
            List<double[]> actual64 = new ArrayList<>();
            for (float[] layer : actual) {
                double[] d = new double[layer.length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = layer[i];
                }
                actual64.add(d);
            }
            double error = distance(actual64, expected);
            assertTrue(
                    error < 1e-3 * wrong,
                    "the sampler is "
                            + error
                            + " from the recomputation, the reversed schedule "
                            + wrong);
            double norm = distance(expected, zeroLike(expected));
            assertTrue(error < 1e-5 * norm, "relative error " + error / norm);
        }
    }

    /** K Langevin steps in float64 with the given sizes, from the given start and noise. */
    private static List<double[]> recompute(
            LadderGenerator reference,
            NDManager manager,
            NDArray x64,
            List<Shape> shapes,
            List<double[]> start,
            List<List<double[]>> noise,
            double[] sizes,
            float sigma) {
        List<double[]> e = new ArrayList<>();
        for (double[] layer : start) {
            e.add(layer.clone());
        }
        for (int k = 0; k < sizes.length; k++) {
            try (NDManager step = manager.newSubManager()) {
                NDList latents = new NDList();
                for (int l = 0; l < e.size(); l++) {
                    NDArray latent = step.create(e.get(l), shapes.get(l));
                    latent.setRequiresGradient(true);
                    latents.add(latent);
                }
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray residual =
                            x64.sub(
                                    reference
                                            .forward(new ParameterStore(step, false), latents, true)
                                            .singletonOrThrow());
                    collector.backward(residual.square().sum());
                }
                double drift = sizes[k] * sizes[k] / 2;
                for (int l = 0; l < e.size(); l++) {
                    double[] gradient = latents.get(l).getGradient().toDoubleArray();
                    double[] value = e.get(l);
                    double[] eps = noise.get(k).get(l);
                    for (int i = 0; i < value.length; i++) {
                        value[i] =
                                value[i]
                                        - drift * (gradient[i] / (2.0 * sigma * sigma) + value[i])
                                        + sizes[k] * eps[i];
                    }
                }
            }
        }
        return e;
    }

    private static double distance(List<double[]> a, List<double[]> b) {
        double sum = 0;
        for (int l = 0; l < a.size(); l++) {
            for (int i = 0; i < a.get(l).length; i++) {
                double d = a.get(l)[i] - b.get(l)[i];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }

    private static List<double[]> zeroLike(List<double[]> a) {
        List<double[]> out = new ArrayList<>();
        for (double[] layer : a) {
            out.add(new double[layer.length]);
        }
        return out;
    }

    /**
     * The one rule by which an evaluation overrides a trained sampler: K and s replaced as given,
     * the trained sizes kept when nothing is given, a shared s carried to another K, a per-step
     * schedule refused for another K without an s, and the freezing setting kept throughout.
     */
    @Test
    void overridingReplacesOnlyWhatIsGivenAndKeepsFreezing() {
        Langevin trained = Langevin.builder().setSteps(4).setStepSize(0.05f).build();
        assertTrue(trained.overriding(null, null) == trained);
        Langevin longer = trained.overriding(7, null);
        assertEquals(7, longer.getSteps());
        assertEquals(0.05f, longer.getStepSize());
        Langevin resized = trained.overriding(null, 0.1f);
        assertEquals(4, resized.getSteps());
        assertEquals(0.1f, resized.getStepSize());

        float[] sizes = {0.04f, 0.05f, 0.06f};
        Langevin perStep =
                Langevin.builder()
                        .setSteps(3)
                        .setStepSize(0.05f)
                        .optStepSizes(sizes)
                        .optFreezeParameters(false)
                        .build();
        assertArrayEquals(sizes, perStep.overriding(3, null).getStepSizes());
        IllegalArgumentException refused =
                assertThrows(IllegalArgumentException.class, () -> perStep.overriding(5, null));
        assertTrue(refused.getMessage().contains("give a step size too"), refused.getMessage());
        for (Langevin overridden :
                List.of(perStep.overriding(5, 0.02f), perStep.overriding(null, 0.02f))) {
            assertFalse(overridden.freezesParameters(), "the freezing setting was dropped");
        }
        assertTrue(trained.overriding(9, null).freezesParameters());
    }
}
