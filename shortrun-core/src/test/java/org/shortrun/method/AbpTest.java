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
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.model.LatentGenerator;
import org.shortrun.training.ArraySource;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingJob;
import org.shortrun.training.TrainingRunTest;

/**
 * Alternating back-propagation: persistent chains, their update, and their place in checkpoints.
 */
class AbpTest {

    static LearningConfig abp(long iterations, long checkpointEvery) {
        return TrainingRunTest.config(iterations, checkpointEvery).toBuilder()
                .optMethod(PersistentChains.builder().optSteps(1).optStepSize(0.3f).build())
                .optSigma(0.3f)
                .build();
    }

    /**
     * One step continues each example's own chain: the kept latents are e0 - (s^2/2)(grad/(2
     * sigma^2) + e0) + s eps, recomputed here in float64 from the latents kept before, the float64
     * generator's gradient and the iteration's noise; other examples' latents stay.
     */
    @Test
    void aStepContinuesTheBatchsPersistentChainsAndKeepsTheirEnd() {
        LearningConfig config = abp(3, 0);
        int[] batch = {7, 2, 9, 4};
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = TrainingRunTest.learner(config, manager)) {
            learner.prepareFor(10);
            PersistentLatents kept = PersistentChains.chainsOf(learner.getMethodState());
            ArraySource source = new ArraySource(10, 3, -1);
            NDArray x = source.batch(manager, batch);
            List<double[]> start = toDoubles(kept.gather(manager, batch));
            List<double[]> untouched = toDoubles(kept.gather(manager, new int[] {0, 1, 3}));
            LatentGenerator reference = learner.getGenerator().copyAs(DataType.FLOAT64, manager);

            // the float64 recomputation, before the step changes the parameters
            NDList e = new NDList();
            int[] z = TrainingRunTest.MODEL.getZDims();
            for (int l = 0; l < z.length; l++) {
                NDArray a =
                        manager.create(
                                start.get(l), new ai.djl.ndarray.types.Shape(batch.length, z[l]));
                a.setRequiresGradient(true);
                e.add(a);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray residual =
                        x.toType(DataType.FLOAT64, false)
                                .sub(
                                        reference
                                                .forward(
                                                        new ParameterStore(manager, false), e, true)
                                                .singletonOrThrow());
                collector.backward(residual.square().sum());
            }
            RandomStream noise = RandomStream.ofIteration(config.getSeed(), 0);
            double s = 0.3;
            double sigma = 0.3;
            double[][] expected = new double[z.length][];
            for (int l = 0; l < z.length; l++) {
                double[] e0 = start.get(l);
                double[] grad = e.get(l).getGradient().toDoubleArray();
                float[] eps =
                        noise.normal(manager, new ai.djl.ndarray.types.Shape(batch.length, z[l]))
                                .toFloatArray();
                expected[l] = new double[e0.length];
                for (int i = 0; i < e0.length; i++) {
                    expected[l][i] =
                            e0[i]
                                    - s * s / 2 * (grad[i] / (2 * sigma * sigma) + e0[i])
                                    + s * eps[i];
                }
            }

            learner.step(x, batch);
            List<double[]> after = toDoubles(kept.gather(manager, batch));
            for (int l = 0; l < z.length; l++) {
                for (int i = 0; i < expected[l].length; i++) {
                    assertEquals(
                            expected[l][i],
                            after.get(l)[i],
                            1e-4 * Math.max(1, Math.abs(expected[l][i])),
                            "layer " + l + " value " + i);
                }
            }
            List<double[]> stillUntouched = toDoubles(kept.gather(manager, new int[] {0, 1, 3}));
            for (int l = 0; l < z.length; l++) {
                assertArrayEquals(untouched.get(l), stillUntouched.get(l), 0.0);
            }
        }
    }

    private static List<double[]> toDoubles(NDList list) {
        return list.stream().map(a -> a.toType(DataType.FLOAT64, false).toDoubleArray()).toList();
    }

    @Test
    void aResumedRunRepeatsAnUninterruptedOneLatentsIncluded(@TempDir Path dir) throws IOException {
        LearningConfig config = abp(4, 2);
        Path whole = dir.resolve("whole");
        try (TrainingJob job =
                TrainingRunTest.job(config, new ArraySource(10, 3, -1)).optOutput(whole).build()) {
            job.train();
        }
        Path split = dir.resolve("split");
        try (TrainingJob job =
                TrainingRunTest.job(abp(2, 2), new ArraySource(10, 3, -1))
                        .optOutput(split)
                        .build()) {
            job.train();
        }
        try (TrainingJob job =
                TrainingRunTest.resumed(Checkpoint.read(split), config, new ArraySource(10, 3, -1))
                        .optOutput(split)
                        .build()) {
            job.train();
        }
        for (String file : new String[] {"parameters.bin", "optimizer.bin", "latents.bin"}) {
            assertArrayEquals(
                    Files.readAllBytes(whole.resolve("checkpoint").resolve(file)),
                    Files.readAllBytes(split.resolve("checkpoint").resolve(file)),
                    file);
        }
        // 10 examples of 4 + 6 dimensions, after a header of two ints
        assertEquals(8 + 10 * 10 * 4, Files.size(whole.resolve("checkpoint/latents.bin")));
    }

    @Test
    void damagedOrMismatchedLatentsAreRefused(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        try (TrainingJob job =
                TrainingRunTest.job(abp(1, 0), new ArraySource(10, 3, -1)).optOutput(out).build()) {
            job.train();
        }
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = Checkpoint.read(out).restore(abp(2, 0), manager)) {
            InputException e = assertThrows(InputException.class, () -> learner.prepareFor(12));
            assertEquals(
                    "the checkpoint keeps persistent latents for 10 training examples, but the data"
                            + " has 12",
                    e.getMessage());
        }
        Path latents = out.resolve("checkpoint/latents.bin");
        byte[] bytes = Files.readAllBytes(latents);
        bytes[20] ^= 4;
        Files.write(latents, bytes);
        InputException e = assertThrows(InputException.class, () -> Checkpoint.read(out));
        assertEquals(
                latents + " is damaged: it does not match the SHA-256 recorded in state.json",
                e.getMessage());
        Files.delete(latents);
        e = assertThrows(InputException.class, () -> Checkpoint.read(out));
        assertTrue(
                e.getMessage().endsWith("latents.bin is damaged: it is missing"), e.getMessage());
    }
}
