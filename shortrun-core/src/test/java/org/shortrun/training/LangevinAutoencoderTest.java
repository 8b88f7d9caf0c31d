package org.shortrun.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
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

/** LAE and CLAE learners: a step against float64, W outside the optimiser, resume bit for bit. */
class LangevinAutoencoderTest {

    static LearningConfig config(Method method, long iterations, long checkpointEvery) {
        return TrainingRunTest.config(iterations, checkpointEvery).toBuilder()
                .optMethod(method)
                .optSteps(2)
                .optStepSize(1e-4f)
                .optPriorSteps(5)
                .build();
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
        for (Method method : new Method[] {Method.LAE, Method.CLAE}) {
            for (boolean metropolis : new boolean[] {false, true}) {
                LearningConfig config =
                        config(method, 1, 0).toBuilder()
                                .optBatchSize(64)
                                .optStepSize(1e-3f)
                                .optMetropolis(metropolis)
                                .build();
                try (NDManager manager = NDManager.newBaseManager();
                        Learner learner = new Learner(model, config, manager)) {
                    LadderGenerator g64 = learner.getGenerator().copyAs(DataType.FLOAT64, manager);
                    LangevinEncoder e64 =
                            learner.getLangevinEncoder().copyAs(DataType.FLOAT64, manager);
                    EnergyPrior p64 =
                            learner.getPrior() == null
                                    ? null
                                    : learner.getPrior().copyAs(DataType.FLOAT64, manager);
                    NDArray w0 =
                            learner.getLangevinEncoder()
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
                                                LangevinEncoder.split(e, model.getZDims()),
                                                0.15f,
                                                p64,
                                                false)
                                        .total()
                                        .sum();
                            };
                    AmortisedLangevin.Result reference =
                            learner.getAmortisedLangevin()
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
                            learner.getLangevinEncoder()
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
                                reference.accepted() / 3f, learner.getLastAcceptance(), 0f, what);
                    } else {
                        assertTrue(Float.isNaN(learner.getLastAcceptance()));
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
                    config(Method.LAE, 1, 0).toBuilder()
                            .optBatchSize(64)
                            .optStepSize(1e-3f)
                            .optMetropolis(metropolis)
                            .build();
            try (NDManager manager = NDManager.newBaseManager();
                    Learner learner = new Learner(model, config, manager)) {
                LadderGenerator g64 = learner.getGenerator().copyAs(DataType.FLOAT64, manager);
                LangevinEncoder e64 =
                        learner.getLangevinEncoder().copyAs(DataType.FLOAT64, manager);
                NDArray w0 =
                        learner.getLangevinEncoder()
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
                    learner.autoencoderGradients(
                            batch, 0.15f, RandomStream.ofIteration(config.getSeed(), 0));
                    for (ai.djl.nn.Parameter p : learner.getTrainableParameters().values()) {
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
                                            LangevinEncoder.split(e, model.getZDims()),
                                            0.15f,
                                            null,
                                            false)
                                    .total()
                                    .sum();
                        };
                g64.freezeParameters(true);
                e64.freezeParameters(true);
                learner.getAmortisedLangevin()
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
                                                LangevinEncoder.split(e, model.getZDims()),
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
                                    + learner.getTrainableParameters().keys().get(i)
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
                        new Learner(TrainingRunTest.MODEL, config(Method.CLAE, 2, 0), manager)) {
            NDArray projection = learner.getLangevinEncoder().getProjection().getArray();
            assertFalse(
                    learner.getTrainableParameters().values().stream()
                            .anyMatch(p -> p.getArray() == projection));
            assertTrue(
                    learner.getTrainableParameters().keys().stream()
                            .anyMatch(k -> k.startsWith(Learner.PRIOR_PREFIX)));
            float[] before = projection.toFloatArray();
            try (NDManager scope = manager.newSubManager()) {
                learner.step(
                        RandomStream.seeded(2)
                                .uniform(
                                        scope,
                                        1f,
                                        learner.getLangevinEncoder().inputShape(4),
                                        DataType.FLOAT32));
            }
            assertFalse(
                    java.util.Arrays.equals(
                            before,
                            learner.getLangevinEncoder()
                                    .getProjection()
                                    .getArray()
                                    .toFloatArray()));
            assertEquals(1, learner.getIteration());
        }
    }

    /**
     * A resumed run repeats an uninterrupted one: the encoder with W, the prior, Adam's moments and
     * the metrics.
     */
    @Test
    void aResumedRunRepeatsAnUninterruptedOne(@TempDir Path dir) throws IOException {
        for (Method method : new Method[] {Method.LAE, Method.CLAE}) {
            LearningConfig four =
                    config(method, 4, 2).toBuilder().optMetropolis(method == Method.LAE).build();
            LearningConfig two = four.toBuilder().setIterations(2).build();
            Path whole = dir.resolve(method + "-whole");
            try (NDManager manager = NDManager.newBaseManager();
                    Learner learner = new Learner(TrainingRunTest.MODEL, four, manager)) {
                TrainingRun.builder()
                        .setLearner(learner)
                        .setSource(new ArraySource(10, 3, -1))
                        .optOutput(whole)
                        .build()
                        .run(manager);
            }
            Path split = dir.resolve(method + "-split");
            try (NDManager manager = NDManager.newBaseManager();
                    Learner learner = new Learner(TrainingRunTest.MODEL, two, manager)) {
                TrainingRun.builder()
                        .setLearner(learner)
                        .setSource(new ArraySource(10, 3, -1))
                        .optOutput(split)
                        .build()
                        .run(manager);
            }
            try (NDManager manager = NDManager.newBaseManager();
                    Learner learner = Checkpoint.read(split).restore(four, manager)) {
                TrainingRun.builder()
                        .setLearner(learner)
                        .setSource(new ArraySource(10, 3, -1))
                        .optOutput(split)
                        .build()
                        .run(manager);
            }
            List<String> files =
                    method == Method.CLAE
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
                () -> LearningConfig.builder().optPriorSteps(0).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> LearningConfig.builder().optPriorStepSize(-1).build());
        LearningConfig a = config(Method.CLAE, 4, 0);
        assertEquals(
                List.of(
                        "Metropolis-Hastings correction: true in the checkpoint, false asked",
                        "prior's Langevin steps: 5 in the checkpoint, 7 asked"),
                a.resumeConflicts(a.toBuilder().optMetropolis(false).optPriorSteps(7).build()));
        assertEquals(60, LearningConfig.builder().build().getPriorSteps());
        assertEquals(0.4f, LearningConfig.builder().build().getPriorStepSize());
        assertTrue(LearningConfig.builder().build().isMetropolis());
        assertTrue(AmortisedLangevin.builder().build().isMetropolis());
        try (NDManager manager = NDManager.newBaseManager()) {
            LearningConfig tuned =
                    config(Method.LAE, 2, 0).toBuilder()
                            .optStepSizeTuning(StepSizeTuning.gridEvery(1))
                            .build();
            InputException e =
                    assertThrows(
                            InputException.class,
                            () -> new Learner(TrainingRunTest.MODEL, tuned, manager));
            assertEquals(
                    "the step size is Langevin's, and lae does not train with Langevin dynamics;"
                            + " leave out the step-size tuning",
                    e.getMessage());
        }
        assertNotEquals(Method.LAE.getStepSize(), Method.SHORTRUN.getStepSize());
    }
}
