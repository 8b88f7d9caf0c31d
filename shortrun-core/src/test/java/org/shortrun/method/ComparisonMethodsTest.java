package org.shortrun.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.inference.AmortisedPosterior;
import org.shortrun.inference.ProjectedGradient;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderEncoder;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Parameterisation;
import org.shortrun.stepsize.StepSizeTuning;
import org.shortrun.training.ArraySource;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingJob;
import org.shortrun.training.TrainingRunTest;

/**
 * Ladder-VAE, VAE and GLO in the learner: their losses and updates, their checkpoints, their
 * inference of held-out images.
 */
class ComparisonMethodsTest {

    /**
     * The method of this name as the tests train it: a KL warm-up of 2 iterations for the
     * variational methods; for GLO, K = 3 code steps (the Langevin steps of {@link
     * TrainingRunTest#config}) at a code learning rate of 0.05.
     */
    static LearningMethod method(String name) {
        return switch (name) {
            case Variational.LADDER_VAE ->
                    Variational.builder().optLadder(true).optKlWarmup(2).build();
            case Variational.VAE -> Variational.builder().optKlWarmup(2).build();
            case Glo.NAME -> Glo.builder().optSteps(3).optCodeLearningRate(0.05f).build();
            default -> throw new IllegalArgumentException(name);
        };
    }

    static LearningConfig config(String method, long iterations, long checkpointEvery) {
        return TrainingRunTest.config(iterations, checkpointEvery, method(method));
    }

    /**
     * A step's loss is ||x - g(e)||^2 / (2 sigma^2) + beta KL at the iteration's noise, and
     * getLastSquaredError is the first term's sum of squares: both recomputed in float64 from
     * copies of the generator and the encoder.
     */
    @Test
    void theNegativeElboIsTheFloat64Recomputation() {
        for (String method : new String[] {Variational.LADDER_VAE, Variational.VAE}) {
            LearningConfig config =
                    TrainingRunTest.config(
                            5,
                            0,
                            ((Variational) method(method)).toBuilder().optKlWarmup(4).build());
            try (NDManager manager = NDManager.newBaseManager();
                    Learner learner = TrainingRunTest.learner(config, manager)) {
                NDArray x = new ArraySource(8, 3, -1).batch(manager, new int[] {0, 1, 2, 3});
                for (int t = 0; t < 2; t++) {
                    LatentGenerator g = learner.getGenerator().copyAs(DataType.FLOAT64, manager);
                    LadderEncoder e = encoder(learner).copyAs(DataType.FLOAT64, manager);
                    AmortisedPosterior posterior =
                            method.equals(Variational.LADDER_VAE)
                                    ? AmortisedPosterior.ladder()
                                    : AmortisedPosterior.independent();
                    NDArray x64 = x.toType(DataType.FLOAT64, false);
                    AmortisedPosterior.Pass pass =
                            posterior.pass(
                                    g,
                                    e,
                                    new ParameterStore(manager, false),
                                    x64,
                                    RandomStream.ofIteration(config.getSeed(), t),
                                    false);
                    double sse = x64.sub(pass.reconstruction()).square().sum().getDouble();
                    double kl = pass.kl().sum().getDouble();
                    double sigma = config.getSigma();
                    // warm-up over 4 iterations: beta = t / 4
                    double expected = sse / (2 * sigma * sigma) + t / 4.0 * kl;
                    float loss = learner.step(x);
                    assertEquals(expected, loss, 1e-4 * expected, method + " iteration " + t);
                    assertEquals(
                            sse,
                            learner.getLastSquaredError(),
                            1e-4 * sse,
                            method + " iteration " + t);
                    assertTrue(kl > 0);
                }
            }
        }
    }

    /** The encoder of a variational learner of a ladder generator. */
    private static LadderEncoder encoder(Learner learner) {
        return (LadderEncoder) learner.getMethodState().getBlocks().get(Variational.ENCODER);
    }

    /**
     * GLO's step: the kept codes are proj(z - rate d/dz ||x - g(z)||^2), recomputed in float64 from
     * the codes kept before; other examples' codes stay; every code stays on the sphere.
     */
    @Test
    void aGloStepMovesTheBatchsCodesAndKeepsThemOnTheSphere() {
        LearningConfig config = config(Glo.NAME, 3, 0);
        int[] batch = {7, 2, 9, 4};
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = TrainingRunTest.learner(config, manager)) {
            learner.prepareFor(10);
            PersistentLatents codes = Glo.codesOf(learner.getMethodState());
            NDArray x = new ArraySource(10, 3, -1).batch(manager, batch);
            LatentGenerator reference = learner.getGenerator().copyAs(DataType.FLOAT64, manager);
            NDList z = new NDList();
            for (NDArray code : codes.gather(manager, batch)) {
                NDArray c = code.toType(DataType.FLOAT64, false);
                c.setRequiresGradient(true);
                z.add(c);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(
                        x.toType(DataType.FLOAT64, false)
                                .sub(
                                        reference
                                                .forward(
                                                        new ParameterStore(manager, false), z, true)
                                                .singletonOrThrow())
                                .square()
                                .sum());
            }
            List<double[]> expected = new java.util.ArrayList<>();
            for (NDArray c : z) {
                double[] v = c.toDoubleArray();
                double[] g = c.getGradient().toDoubleArray();
                int dim = (int) c.getShape().get(1);
                double[] out = new double[v.length];
                for (int r = 0; r < batch.length; r++) {
                    double norm = 0;
                    for (int j = 0; j < dim; j++) {
                        out[r * dim + j] = v[r * dim + j] - 0.05 * g[r * dim + j];
                        norm += out[r * dim + j] * out[r * dim + j];
                    }
                    for (int j = 0; j < dim; j++) {
                        out[r * dim + j] /= Math.sqrt(norm);
                    }
                }
                expected.add(out);
            }
            float[] untouched = codes.gather(manager, new int[] {0, 1, 3}).get(1).toFloatArray();
            learner.step(x, batch);
            NDList after = codes.gather(manager, batch);
            for (int l = 0; l < after.size(); l++) {
                float[] actual = after.get(l).toFloatArray();
                for (int i = 0; i < actual.length; i++) {
                    assertEquals(expected.get(l)[i], actual[i], 1e-5, "layer " + l + " value " + i);
                }
                float[] norms = after.get(l).norm(new int[] {1}).toFloatArray();
                for (float n : norms) {
                    assertEquals(1, n, 1e-5);
                }
            }
            assertArrayEquals(
                    untouched,
                    codes.gather(manager, new int[] {0, 1, 3}).get(1).toFloatArray(),
                    0f);
        }
    }

    /** (0.6, 0.8) with gradient (1, 2) at rate 0.1: (0.5, 0.6), divided by its norm sqrt(0.61). */
    @Test
    void theProjectedStepIsTheHandComputedOne() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray z = manager.create(new float[] {0.6f, 0.8f}, new Shape(1, 2));
            z.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                // d/dz (z . (1, 2)) = (1, 2)
                collector.backward(
                        z.mul(manager.create(new float[] {1, 2}, new Shape(1, 2))).sum());
            }
            NDList next = new ProjectedGradient(1, 0.1f).step(new NDList(z), manager);
            assertArrayEquals(
                    new float[] {0.6401844f, 0.7682213f}, next.get(0).toFloatArray(), 1e-6f);
        }
    }

    /**
     * Codes (1, 0), (0, 1), (1, 1), (2, 2): mean (1, 1); deviations (0, -1), (-1, 0), (0, 0), (1,
     * 1); covariance with n - 1 = 3: [[2/3, 1/3], [1/3, 2/3]] (plus the 1e-6 ridge).
     */
    @Test
    void theCodeGaussianIsTheHandComputedFitAndSamplesIt() {
        PersistentLatents codes = PersistentLatents.drawn(4, List.of(new Shape(2)), 1);
        float[] values = codes.values();
        System.arraycopy(new float[] {1, 0, 0, 1, 1, 1, 2, 2}, 0, values, 0, 8);
        CodeGaussian fit = CodeGaussian.fit(codes);
        assertArrayEquals(new double[] {1, 1}, fit.getMean(), 1e-12);
        double[][] c = fit.getCovariance();
        assertArrayEquals(new double[] {2.0 / 3 + 1e-6, 1.0 / 3}, c[0], 1e-9);
        assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3 + 1e-6}, c[1], 1e-9);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray drawn =
                    fit.sample(manager, 20000, RandomStream.seeded(5))
                            .get(0)
                            .toType(DataType.FLOAT64, false);
            double[] mean = drawn.mean(new int[] {0}).toDoubleArray();
            NDArray centred = drawn.sub(drawn.mean(new int[] {0}));
            double covariance = centred.get(":, 0").mul(centred.get(":, 1")).mean().getDouble();
            // standard errors near 0.006: within 4 of them
            assertArrayEquals(new double[] {1, 1}, mean, 0.025);
            assertEquals(1.0 / 3, covariance, 0.025);
        }
    }

    @Test
    void heldOutImagesAreInferredByEachMethodsOwnInference() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = new ArraySource(4, 3, -1).batch(manager, new int[] {0, 1, 2, 3});
            try (Learner vae = TrainingRunTest.learner(config(Variational.VAE, 2, 0), manager)) {
                NDList means = encoder(vae).forward(vae.getParameterStore(), new NDList(x), false);
                NDList inferred = vae.inferLatents(x, RandomStream.seeded(1));
                assertArrayEquals(means.get(0).toFloatArray(), inferred.get(0).toFloatArray(), 0f);
                assertArrayEquals(means.get(2).toFloatArray(), inferred.get(1).toFloatArray(), 0f);
            }
            try (Learner glo =
                    TrainingRunTest.learner(
                            TrainingRunTest.config(
                                    2, 0, ((Glo) method(Glo.NAME)).toBuilder().optSteps(5).build()),
                            manager)) {
                assertThrows(
                        IllegalStateException.class,
                        () -> glo.inferLatents(x, RandomStream.seeded(1)));
                glo.prepareFor(10);
                NDList codes = glo.inferLatents(x, RandomStream.seeded(1));
                for (NDArray code : codes) {
                    for (float n : code.norm(new int[] {1}).toFloatArray()) {
                        assertEquals(1, n, 1e-5);
                    }
                }
                // the search lowers the squared error from where it starts
                NDList start =
                        CodeGaussian.fit(Glo.codesOf(glo.getMethodState()))
                                .sample(manager, 4, RandomStream.seeded(1));
                NDList projected = new NDList();
                start.forEach(a -> projected.add(ProjectedGradient.onSphere(a)));
                float before =
                        x.sub(
                                        glo.getGenerator()
                                                .forward(glo.getParameterStore(), projected, false)
                                                .singletonOrThrow())
                                .square()
                                .sum()
                                .getFloat();
                float after =
                        x.sub(
                                        glo.getGenerator()
                                                .forward(glo.getParameterStore(), codes, false)
                                                .singletonOrThrow())
                                .square()
                                .sum()
                                .getFloat();
                assertTrue(after < before, after + " >= " + before);
                assertEquals(
                        new Shape(7, 4),
                        glo.drawLatents(manager, 7, RandomStream.seeded(2)).get(0).getShape());
            }
        }
    }

    @Test
    void ladderVaeRefusesTheLadderParameterisationAndOnlyLangevinTunesItsStepSize() {
        LadderConfig ladder =
                TrainingRunTest.MODEL.toBuilder()
                        .optParameterisation(Parameterisation.LADDER)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            InputException e =
                    assertThrows(
                            InputException.class,
                            () ->
                                    new Learner(
                                            new LadderGenerator(ladder),
                                            config(Variational.LADDER_VAE, 2, 0),
                                            manager));
            assertTrue(e.getMessage().contains("use the released one"), e.getMessage());
            new Learner(new LadderGenerator(ladder), config(Variational.VAE, 2, 0), manager)
                    .close();
            // only the Langevin methods have a step-size tuning among their options
            JsonObject tuning = new JsonObject();
            tuning.add(
                    "stepSizeTuning",
                    Methods.toJson(
                                    ShortRun.builder()
                                            .optStepSizeTuning(StepSizeTuning.gridEvery(1))
                                            .build())
                            .get("stepSizeTuning"));
            JsonObject changes = new JsonObject();
            changes.add("method", tuning);
            LearningConfig glo = config(Glo.NAME, 2, 0);
            e = assertThrows(InputException.class, () -> glo.with(changes));
            assertEquals(
                    "glo has no option 'stepSizeTuning'; its options: steps, codeLearningRate",
                    e.getMessage());
        }
    }

    /**
     * A resumed run repeats an uninterrupted one, the encoder, its moments and GLO's codes
     * included.
     */
    @Test
    void aResumedRunRepeatsAnUninterruptedOne(@TempDir Path dir) throws IOException {
        for (String method : new String[] {Variational.LADDER_VAE, Variational.VAE, Glo.NAME}) {
            Path whole = dir.resolve(method + "-whole");
            try (TrainingJob job =
                    TrainingRunTest.job(config(method, 4, 2), new ArraySource(10, 3, -1))
                            .optOutput(whole)
                            .build()) {
                job.train();
            }
            Path split = dir.resolve(method + "-split");
            try (TrainingJob job =
                    TrainingRunTest.job(config(method, 2, 2), new ArraySource(10, 3, -1))
                            .optOutput(split)
                            .build()) {
                job.train();
            }
            try (TrainingJob job =
                    TrainingRunTest.resumed(
                                    Checkpoint.read(split),
                                    config(method, 4, 2),
                                    new ArraySource(10, 3, -1))
                            .optOutput(split)
                            .build()) {
                job.train();
            }
            String extra = method.equals(Glo.NAME) ? "latents.bin" : "encoder.bin";
            for (String file : new String[] {"parameters.bin", "optimizer.bin", extra}) {
                assertArrayEquals(
                        Files.readAllBytes(whole.resolve("checkpoint").resolve(file)),
                        Files.readAllBytes(split.resolve("checkpoint").resolve(file)),
                        method + " " + file);
            }
            assertEquals(
                    Files.readString(whole.resolve("metrics.csv"))
                            .lines()
                            .map(l -> l.substring(0, l.lastIndexOf(',')))
                            .toList(),
                    Files.readString(split.resolve("metrics.csv"))
                            .lines()
                            .map(l -> l.substring(0, l.lastIndexOf(',')))
                            .toList(),
                    method + " metrics");
            Path encoder = whole.resolve("checkpoint/" + extra);
            byte[] bytes = Files.readAllBytes(encoder);
            bytes[bytes.length / 2] ^= 1;
            Files.write(encoder, bytes);
            InputException e = assertThrows(InputException.class, () -> Checkpoint.read(whole));
            assertEquals(
                    encoder + " is damaged: it does not match the SHA-256 recorded in state.json",
                    e.getMessage());
        }
    }

    @Test
    void theMethodsSettingsAreCheckedAndComparedOnResume() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Variational.builder().optKlWarmup(-1).build());
        assertThrows(
                IllegalArgumentException.class, () -> Glo.builder().optCodeLearningRate(0).build());
        LearningConfig a = config(Variational.VAE, 4, 0);
        assertEquals(
                List.of("KL warm-up: 2 in the checkpoint, 3 asked"),
                a.resumeConflicts(
                        a.toBuilder()
                                .optMethod(
                                        ((Variational) a.getMethod())
                                                .toBuilder().optKlWarmup(3).build())
                                .build()));
        assertEquals(Variational.DEFAULT_KL_WARMUP, Variational.builder().build().getKlWarmup());
        LearningConfig glo = config(Glo.NAME, 4, 0);
        assertEquals(0.05f, ((Glo) glo.toBuilder().build().getMethod()).getCodeLearningRate());
    }
}
