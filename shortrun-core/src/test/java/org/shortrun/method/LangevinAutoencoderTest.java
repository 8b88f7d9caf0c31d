package org.shortrun.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.engine.GradientCheck;
import org.shortrun.inference.AmortisedLangevin;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinEncoder;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Latents;
import org.shortrun.stepsize.StepSizeTuning;
import org.shortrun.training.ArraySource;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingJob;
import org.shortrun.training.TrainingRunTest;

/** LAE and CLAE learners: a step against float64, W outside the optimiser, resume bit for bit. */
class LangevinAutoencoderTest {

    /**
     * The plain or the contrastive form as the tests train it: K = 2, eta = 1e-4, 5 prior steps.
     */
    static LangevinAutoencoders.Builder method(String name) {
        return LangevinAutoencoders.builder()
                .optPrior(name.equals(LangevinAutoencoders.CLAE))
                .optSteps(2)
                .optEta(1e-4f)
                .optPriorSteps(5);
    }

    static LearningConfig config(
            LangevinAutoencoders.Builder method, long iterations, long checkpointEvery) {
        return TrainingRunTest.config(iterations, checkpointEvery, method.build());
    }

    static LearningConfig config(String method, long iterations, long checkpointEvery) {
        return config(method(method), iterations, checkpointEvery);
    }

    /** The learner's method state: the encoder, W's sampler and the prior. */
    static LangevinAutoencoders.AutoencoderState state(Learner learner) {
        return (LangevinAutoencoders.AutoencoderState) learner.getMethodState();
    }

    /** What the learner's Adam updates: the generator's parameters, then the method's. */
    static ParameterList trainable(Learner learner) {
        ParameterList list = new ParameterList();
        for (Pair<String, Parameter> pair : learner.getGenerator().getParameters()) {
            list.add(pair.getKey(), pair.getValue());
        }
        for (Pair<String, Parameter> pair : learner.getMethodState().getTrainableParameters()) {
            list.add(pair.getKey(), pair.getValue());
        }
        return list;
    }

    /**
     * A step's W and loss recomputed in float64: the same amortised Langevin run (one burn-in
     * update, then K = 2, the iteration's stream) on float64 copies of the generator, the encoder
     * and the prior, at the shapes the demo trains (z-dims 16,32,64, 16 channels, batch 64). The
     * loss is the mean of the two learning updates' summed energies; W's displacement agrees too.
     */
    @Test
    void aStepsWAndLossMatchFloat64() {
        LadderConfig model =
                LadderConfig.builder()
                        .setZDims(16, 32, 64)
                        .optChannels(16)
                        .optImageChannels(1)
                        .build();
        for (String method : new String[] {LangevinAutoencoders.LAE, LangevinAutoencoders.CLAE}) {
            for (boolean metropolis : new boolean[] {false, true}) {
                LearningConfig config =
                        config(method(method).optEta(1e-3f).optMetropolis(metropolis), 1, 0)
                                .toBuilder()
                                .optBatchSize(64)
                                .build();
                try (NDManager manager = NDManager.newBaseManager();
                        Learner learner =
                                new Learner(new LadderGenerator(model), config, manager)) {
                    LatentGenerator g64 = learner.getGenerator().copyAs(DataType.FLOAT64, manager);
                    LangevinEncoder e64 =
                            state(learner).getEncoder().copyAs(DataType.FLOAT64, manager);
                    EnergyPrior p64 =
                            state(learner).getPrior() == null
                                    ? null
                                    : state(learner).getPrior().copyAs(DataType.FLOAT64, manager);
                    NDArray w0 =
                            state(learner)
                                    .getEncoder()
                                    .getProjection()
                                    .getArray()
                                    .toType(DataType.FLOAT64, true);
                    NDArray x =
                            RandomStream.seeded(5)
                                    .uniform(manager, 1f, e64.inputShape(64), DataType.FLOAT32);
                    NDArray x64 = x.toType(DataType.FLOAT64, true);
                    float loss;
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray batch = x.duplicate();
                        batch.attach(scope);
                        loss = learner.step(batch);
                    }
                    ParameterStore store = new ParameterStore(manager, false);
                    AmortisedLangevin.Energy energy =
                            (w, learn) -> {
                                NDArray e =
                                        LangevinEncoder.project(e64.features(store, x64, false), w);
                                return PosteriorEnergy.of(
                                                g64,
                                                store,
                                                x64,
                                                Latents.split(e, g64.getLatentShapes()),
                                                0.15f,
                                                p64,
                                                false)
                                        .total()
                                        .sum();
                            };
                    AmortisedLangevin.Result reference =
                            state(learner)
                                    .getAmortisedLangevin()
                                    .run(
                                            energy,
                                            w0,
                                            64,
                                            manager,
                                            RandomStream.ofIteration(config.getSeed(), 0));
                    double meanEnergy =
                            (reference.energies()[0] + reference.energies()[1]) / 2.0 * 64;
                    String what = method + (metropolis ? " with Metropolis-Hastings" : "");
                    assertEquals(meanEnergy, loss, 1e-4 * Math.abs(meanEnergy), what + " loss");
                    double[] moved =
                            state(learner)
                                    .getEncoder()
                                    .getProjection()
                                    .getArray()
                                    .toType(DataType.FLOAT64, true)
                                    .sub(w0)
                                    .toDoubleArray();
                    double[] expected = reference.w().sub(w0).toDoubleArray();
                    double error = GradientCheck.relativeError(moved, expected);
                    assertTrue(error < 1e-4, what + ": W moved with relative error " + error);
                    assertTrue(reference.energies()[1] != reference.energies()[0], what);
                    if (metropolis) {
                        assertEquals(
                                reference.accepted() / 3f,
                                state(learner).getLastAcceptance(),
                                0f,
                                what);
                    } else {
                        assertTrue(Float.isNaN(state(learner).getLastAcceptance()));
                    }
                }
            }
        }
    }

    /**
     * What Adam steps on, recomputed in float64: the gradient, for every parameter of the generator
     * and the encoder's trunk, of the mean over the K = 2 learning updates of the batch's summed
     * energy at the W each reached, the burn-in's and the proposals' passes leaving no trace; at
     * z-dims 16,32,64, batch 64, with and without the correction.
     */
    @Test
    void theParametersGradientIsTheMeanEnergysInFloat64() {
        LadderConfig model =
                LadderConfig.builder()
                        .setZDims(16, 32, 64)
                        .optChannels(16)
                        .optImageChannels(1)
                        .build();
        for (boolean metropolis : new boolean[] {false, true}) {
            LearningConfig config =
                    config(
                                    method(LangevinAutoencoders.LAE)
                                            .optEta(1e-3f)
                                            .optMetropolis(metropolis),
                                    1,
                                    0)
                            .toBuilder()
                            .optBatchSize(64)
                            .build();
            try (NDManager manager = NDManager.newBaseManager();
                    Learner learner = new Learner(new LadderGenerator(model), config, manager)) {
                LatentGenerator g64 = learner.getGenerator().copyAs(DataType.FLOAT64, manager);
                LangevinEncoder e64 = state(learner).getEncoder().copyAs(DataType.FLOAT64, manager);
                NDArray w0 =
                        state(learner)
                                .getEncoder()
                                .getProjection()
                                .getArray()
                                .toType(DataType.FLOAT64, true);
                NDArray x =
                        RandomStream.seeded(6)
                                .uniform(manager, 1f, e64.inputShape(64), DataType.FLOAT32);
                NDArray x64 = x.toType(DataType.FLOAT64, true);
                List<double[]> single = new java.util.ArrayList<>();
                try (NDManager scope = manager.newSubManager()) {
                    NDArray batch = x.duplicate();
                    batch.attach(scope);
                    state(learner)
                            .autoencoderGradients(
                                    batch, 0.15f, RandomStream.ofIteration(config.getSeed(), 0));
                    for (ai.djl.nn.Parameter p : trainable(learner).values()) {
                        single.add(
                                p.getArray()
                                        .getGradient()
                                        .toType(DataType.FLOAT64, false)
                                        .toDoubleArray());
                    }
                }
                // the W of each learning update, from the same dynamics in float64
                ParameterStore store = new ParameterStore(manager, false);
                List<NDArray> visited = new java.util.ArrayList<>();
                AmortisedLangevin.Energy energy =
                        (w, learn) -> {
                            if (learn) {
                                NDArray kept = w.duplicate();
                                kept.attach(manager);
                                visited.add(kept);
                            }
                            NDArray e = LangevinEncoder.project(e64.features(store, x64, false), w);
                            return PosteriorEnergy.of(
                                            g64,
                                            store,
                                            x64,
                                            Latents.split(e, g64.getLatentShapes()),
                                            0.15f,
                                            null,
                                            false)
                                    .total()
                                    .sum();
                        };
                g64.freezeParameters(true);
                e64.freezeParameters(true);
                state(learner)
                        .getAmortisedLangevin()
                        .run(
                                energy,
                                w0,
                                64,
                                manager,
                                RandomStream.ofIteration(config.getSeed(), 0));
                g64.freezeParameters(false);
                e64.freezeParameters(false);
                assertEquals(2, visited.size());
                List<ai.djl.nn.Parameter> trunk = new java.util.ArrayList<>();
                for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : e64.getParameters()) {
                    if (p.getValue() != e64.getProjection()) {
                        trunk.add(p.getValue());
                    }
                }
                try (ai.djl.training.GradientCollector collector =
                        ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    NDArray total = null;
                    for (NDArray w : visited) {
                        NDArray e = LangevinEncoder.project(e64.features(store, x64, true), w);
                        NDArray u =
                                PosteriorEnergy.of(
                                                g64,
                                                store,
                                                x64,
                                                Latents.split(e, g64.getLatentShapes()),
                                                0.15f,
                                                null,
                                                true)
                                        .total()
                                        .sum();
                        total = total == null ? u : total.add(u);
                    }
                    collector.backward(total.mul(manager.create(0.5)));
                }
                List<double[]> reference = new java.util.ArrayList<>();
                for (ai.djl.nn.Parameter p : g64.getParameters().values()) {
                    reference.add(p.getArray().getGradient().toDoubleArray());
                }
                for (ai.djl.nn.Parameter p : trunk) {
                    reference.add(p.getArray().getGradient().toDoubleArray());
                }
                assertEquals(reference.size(), single.size());
                for (int i = 0; i < single.size(); i++) {
                    double error = GradientCheck.relativeError(single.get(i), reference.get(i));
                    assertTrue(
                            error < GradientCheck.TOLERANCE,
                            (metropolis ? "with" : "without")
                                    + " the correction, parameter "
                                    + trainable(learner).keys().get(i)
                                    + ": relative error "
                                    + error);
                }
            }
        }
    }

    /** W is sampled, never optimised: it is not among Adam's parameters, and it moves each step. */
    @Test
    void wIsOutsideTheOptimiserAndMovesEveryStep() {
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner =
                        TrainingRunTest.learner(config(LangevinAutoencoders.CLAE, 2, 0), manager)) {
            NDArray projection = state(learner).getEncoder().getProjection().getArray();
            assertFalse(
                    trainable(learner).values().stream().anyMatch(p -> p.getArray() == projection));
            assertTrue(trainable(learner).keys().stream().anyMatch(k -> k.startsWith("prior.")));
            float[] before = projection.toFloatArray();
            try (NDManager scope = manager.newSubManager()) {
                learner.step(
                        RandomStream.seeded(2)
                                .uniform(
                                        scope,
                                        1f,
                                        state(learner).getEncoder().inputShape(4),
                                        DataType.FLOAT32));
            }
            assertFalse(
                    java.util.Arrays.equals(
                            before,
                            state(learner).getEncoder().getProjection().getArray().toFloatArray()));
            assertEquals(1, learner.getIteration());
        }
    }

    /**
     * A resumed run repeats an uninterrupted one: the encoder with W, the prior, Adam's moments and
     * the metrics.
     */
    @Test
    void aResumedRunRepeatsAnUninterruptedOne(@TempDir Path dir) throws IOException {
        for (String method : new String[] {LangevinAutoencoders.LAE, LangevinAutoencoders.CLAE}) {
            LearningConfig four =
                    config(
                            method(method).optMetropolis(method.equals(LangevinAutoencoders.LAE)),
                            4,
                            2);
            LearningConfig two = four.toBuilder().setIterations(2).build();
            Path whole = dir.resolve(method + "-whole");
            try (TrainingJob job =
                    TrainingRunTest.job(four, new ArraySource(10, 3, -1))
                            .optOutput(whole)
                            .build()) {
                job.train();
            }
            Path split = dir.resolve(method + "-split");
            try (TrainingJob job =
                    TrainingRunTest.job(two, new ArraySource(10, 3, -1)).optOutput(split).build()) {
                job.train();
            }
            try (TrainingJob job =
                    TrainingRunTest.resumed(
                                    Checkpoint.read(split), four, new ArraySource(10, 3, -1))
                            .optOutput(split)
                            .build()) {
                job.train();
            }
            List<String> files =
                    method.equals(LangevinAutoencoders.CLAE)
                            ? List.of("parameters.bin", "optimizer.bin", "encoder.bin", "prior.bin")
                            : List.of("parameters.bin", "optimizer.bin", "encoder.bin");
            for (String file : files) {
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
            Path damaged = whole.resolve("checkpoint/" + files.get(files.size() - 1));
            byte[] bytes = Files.readAllBytes(damaged);
            bytes[bytes.length / 2] ^= 1;
            Files.write(damaged, bytes);
            InputException e = assertThrows(InputException.class, () -> Checkpoint.read(whole));
            assertEquals(
                    damaged + " is damaged: it does not match the SHA-256 recorded in state.json",
                    e.getMessage());
        }
    }

    @Test
    void theirSettingsAreCheckedAndComparedOnResume() {
        assertThrows(
                IllegalArgumentException.class,
                () -> LangevinAutoencoders.builder().optPriorSteps(0).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> LangevinAutoencoders.builder().optPriorStepSize(-1).build());
        LearningConfig a = config(LangevinAutoencoders.CLAE, 4, 0);
        assertEquals(
                List.of(
                        "Metropolis-Hastings correction: true in the checkpoint, false asked",
                        "prior's Langevin steps: 5 in the checkpoint, 7 asked"),
                a.resumeConflicts(
                        config(
                                method(LangevinAutoencoders.CLAE)
                                        .optMetropolis(false)
                                        .optPriorSteps(7),
                                4,
                                0)));
        assertEquals(60, LangevinAutoencoders.builder().build().getPriorSteps());
        assertEquals(0.4f, LangevinAutoencoders.builder().build().getPriorStepSize());
        assertTrue(LangevinAutoencoders.builder().build().isMetropolis());
        assertTrue(AmortisedLangevin.builder().build().isMetropolis());
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
        LearningConfig lae = config(LangevinAutoencoders.LAE, 2, 0);
        InputException e = assertThrows(InputException.class, () -> lae.with(changes));
        assertEquals(
                "lae has no option 'stepSizeTuning'; its options: steps, eta, metropolis,"
                        + " priorSteps, priorStepSize, priorLearningRateScale",
                e.getMessage());
        assertNotEquals(
                ((LangevinAutoencoders) Methods.published(LangevinAutoencoders.LAE)).getEta(),
                ((ShortRun) Methods.published(ShortRun.NAME)).getStepSize());
    }
}
