package org.shortrun.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.DivergenceException;
import org.shortrun.InputException;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.Fuzz;
import org.shortrun.io.SealedJson;

/**
 * A checkpoint is read only when whole and sensible, and is never written holding a value that is
 * not finite.
 */
class CheckpointTest {

    /** The format of the checkpoints this build writes. */
    private static final int FORMAT = 3;

    @TempDir static Path shared;
    static Path good;

    @BeforeAll
    static void writeACheckpoint() throws IOException {
        good = shared.resolve("good");
        try (TrainingJob job =
                TrainingRunTest.job(TrainingRunTest.config(2, 1), new ArraySource(10, 3, -1))
                        .optOutput(good)
                        .build()) {
            job.train();
        }
    }

    /**
     * A copy of the good checkpoint directory whose state.json went through {@code edit} and was
     * sealed again, as a hostile writer would.
     */
    private static Path resealed(Path dir, UnaryOperator<String> edit) throws IOException {
        Path copy = copy(dir);
        Path state = copy.resolve("state.json");
        String content = SealedJson.read(state, "checkpoint state", FORMAT, 1 << 20);
        String edited = edit.apply(content);
        assertFalse(edited.equals(content), "the edit changed nothing");
        Files.write(state, SealedJson.seal("checkpoint state", FORMAT, edited));
        return copy;
    }

    private static Path copy(Path dir) throws IOException {
        Path copy = dir.resolve("copy-" + System.nanoTime());
        Files.createDirectories(copy);
        for (String f : new String[] {"state.json", "parameters.bin", "optimizer.bin"}) {
            Files.copy(
                    good.resolve("checkpoint").resolve(f),
                    copy.resolve(f),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    /** A checkpoint's state.json, as JSON. */
    private static JsonObject stateOf(Path checkpoint) throws IOException {
        return JsonParser.parseString(
                        SealedJson.read(
                                checkpoint.resolve("state.json"),
                                "checkpoint state",
                                FORMAT,
                                1 << 20))
                .getAsJsonObject();
    }

    private static String refusal(Path checkpoint) {
        InputException e = assertThrows(InputException.class, () -> Checkpoint.read(checkpoint));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        System.out.println("checkpoint refused: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void aFlippedBitAnywhereInTheStateIsRefused(@TempDir Path dir) throws IOException {
        Path copy = copy(dir);
        Path state = copy.resolve("state.json");
        byte[] bytes = Files.readAllBytes(state);
        String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        // the case found by fuzzing: a bit flip in the key "iteration" restarted a resumed run at 0
        int key = text.indexOf("\"iteration\"") + 3;
        Random random = new Random(5);
        for (int at :
                java.util.stream.IntStream.concat(
                                java.util.stream.IntStream.of(key),
                                java.util.stream.IntStream.range(0, bytes.length))
                        .toArray()) {
            byte[] bad = bytes.clone();
            bad[at] ^= (byte) (1 << (at == key ? 1 : random.nextInt(8)));
            Files.write(state, bad);
            assertThrows(InputException.class, () -> Checkpoint.read(copy), "byte " + at);
        }
        Files.write(state, bytes);
        assertEquals(2, Checkpoint.read(copy).getIteration());
        bytes[key] ^= 2;
        Files.write(state, bytes);
        assertEquals(
                state + " is damaged: its content does not match its SHA-256 (damaged or edited)",
                refusal(copy));
    }

    @Test
    void resealedStatesWithImpossibleValuesAreRefusedBeforeAnythingIsAllocated(@TempDir Path dir)
            throws IOException {
        String state = " is damaged: ";
        assertTrue(
                refusal(resealed(dir, c -> c.replace("\"iteration\": 2", "\"iteration\": -5")))
                        .endsWith(state + "iteration -5 is outside [0, 2]"));
        // the state's own step size, the first; the method's, last in its object, stays
        assertTrue(
                refusal(resealed(dir, c -> c.replaceFirst("\"stepSize\": [^,]*,", "")))
                        .endsWith(state + "\"stepSize\" is missing or not a number"));
        assertTrue(
                refusal(resealed(dir, c -> c.replace("\"iteration\": 2", "\"iteration\": 2x")))
                        .endsWith(state + "\"iteration\" is missing or not a number"));
        String dims =
                refusal(
                        resealed(
                                dir,
                                c ->
                                        c.replaceFirst(
                                                "\"zDims\": \\[\\s*4,\\s*6\\s*\\]",
                                                "\"zDims\": [4, 100000000]")));
        assertTrue(
                dims.endsWith(
                        state
                                + "its configuration is invalid (every z-dim must be in [1, 4096],"
                                + " got 100000000)"),
                dims);
        String batch =
                refusal(
                        resealed(
                                dir,
                                c -> c.replace("\"batchSize\": 4", "\"batchSize\": 4294967297")));
        assertTrue(
                batch.contains(state + "its content does not parse")
                        && batch.contains("4294967297"),
                batch);
        assertTrue(
                refusal(resealed(dir, c -> c.replaceFirst("\"seed\": 11,", "\"seed\": 12,")))
                        .endsWith(state + "seed 12 differs from its training seed 11"));
    }

    @Test
    void fuzzedStateAndParameterFilesAreNeverAccepted(@TempDir Path dir) throws Exception {
        Path copy = copy(dir);
        long seed = 21;
        for (String name : new String[] {"state.json", "parameters.bin", "optimizer.bin"}) {
            Path file = copy.resolve(name);
            byte[] original = Files.readAllBytes(file);
            Fuzz.Report report =
                    Fuzz.of("checkpoint " + name, original, seed++)
                            .mutants(name.equals("state.json") ? 3000 : 1000)
                            .run(file, Checkpoint::read);
            assertTrue(report.ok(), report.details());
            assertEquals(0, report.accepted(), report.line());
            Files.write(file, original);
        }
        assertEquals(2, Checkpoint.read(copy).getIteration());
    }

    @Test
    void anUpdateThatLeavesWeightsNonFiniteStopsTheRunUnsaved(@TempDir Path dir)
            throws IOException {
        // a learning rate of 1e38 is finite, but the update it makes is not in float32
        LearningConfig config =
                TrainingRunTest.config(4, 1).toBuilder()
                        .optLearningRate(LearningRateSchedule.CONSTANT, 1e38)
                        .build();
        Path out = dir.resolve("run");
        try (TrainingJob job =
                TrainingRunTest.job(config, new ArraySource(10, 3, -1)).optOutput(out).build()) {
            DivergenceException e = assertThrows(DivergenceException.class, job::train);
            System.out.println("divergence: " + e.getMessage());
            assertTrue(
                    e.getMessage()
                            .matches(
                                    "parameter \\S+ holds \\d+ non-finite values? of \\d+ after the"
                                        + " update of iteration 1; stopped before any checkpoint"
                                        + " was written"),
                    e.getMessage());
        }
        assertFalse(Checkpoint.exists(out));
    }

    @Test
    void aLearnerHoldingNaNIsNotSavedAndThePreviousCheckpointStays(@TempDir Path dir)
            throws IOException {
        Path target = copy(dir).resolveSibling("kept");
        Files.move(copy(dir), target);
        byte[] before = Files.readAllBytes(target.resolve("parameters.bin"));
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner =
                        Checkpoint.read(target).restore(TrainingRunTest.config(2, 1), manager)) {
            String name = learner.getGenerator().getParameters().keys().get(0);
            learner.getGenerator()
                    .getParameters()
                    .get(name)
                    .getArray()
                    .set(new NDIndex("0"), Float.NaN);
            DivergenceException e =
                    assertThrows(DivergenceException.class, () -> Checkpoint.save(learner, target));
            assertTrue(e.getMessage().startsWith("parameter " + name + " holds "), e.getMessage());
            assertTrue(
                    e.getMessage()
                            .endsWith(
                                    " non-finite values of "
                                            + learner.getGenerator()
                                                    .getParameters()
                                                    .get(name)
                                                    .getArray()
                                                    .size()
                                            + " at iteration 2; not saved"),
                    e.getMessage());
        }
        assertArrayEquals(before, Files.readAllBytes(target.resolve("parameters.bin")));
        assertEquals(2, Checkpoint.read(target).getIteration());
    }

    /**
     * Per-step sizes are saved and restored exactly; a checkpoint of a shared s, as every one
     * written before per-step sizes existed, holds none and gives its s for every step.
     */
    @Test
    void perStepSizesRoundTripAndCheckpointsWithoutThemStillLoad(@TempDir Path dir)
            throws IOException {
        Checkpoint shared = Checkpoint.read(good);
        assertTrue(shared.getLangevin().hasSharedStepSize());
        assertFalse(
                Files.readString(good.resolve("checkpoint/state.json")).contains("stepSizes"),
                "a shared s writes no per-step sizes");
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f}, shared.getLangevin().getStepSizes());
        float[] sizes = {0.03f, 0.2f, 0.1123456f};
        Path target = dir.resolve("perstep");
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = shared.restore(TrainingRunTest.config(2, 1), manager)) {
            assertTrue(learner.getLangevin().hasSharedStepSize());
            learner.getMethodState().setLangevin(learner.getLangevin().withStepSizes(sizes));
            Checkpoint.save(learner, target);
        }
        Checkpoint read = Checkpoint.read(target);
        assertFalse(read.getLangevin().hasSharedStepSize());
        assertArrayEquals(sizes, read.getLangevin().getStepSizes());
        assertEquals(
                org.shortrun.inference.Langevin.meanOf(sizes),
                stateOf(target).get("stepSize").getAsFloat(),
                "step size is the mean, for readers that know no per-step sizes");
        assertEquals(
                org.shortrun.inference.Langevin.meanOf(sizes), read.getLangevin().getStepSize());
        try (NDManager manager = NDManager.newBaseManager();
                Learner learner = read.restore(TrainingRunTest.config(2, 1), manager)) {
            assertArrayEquals(sizes, learner.getLangevin().getStepSizes());
            assertEquals(2, learner.getIteration());
        }
    }

    @Test
    void resealedPerStepSizesThatCannotBeAreRefused(@TempDir Path dir) throws IOException {
        String state = " is damaged: ";
        assertTrue(
                refusal(
                                resealed(
                                        dir,
                                        c ->
                                                c.replaceFirst(
                                                        "\"stepSize\": ([^,]*),",
                                                        "\"stepSize\": $1, \"stepSizes\": [0.1,"
                                                                + " 0.2],")))
                        .endsWith(state + "it holds 2 per-step sizes for K = 3 steps"));
        assertTrue(
                refusal(
                                resealed(
                                        dir,
                                        c ->
                                                c.replaceFirst(
                                                        "\"stepSize\": ([^,]*),",
                                                        "\"stepSize\": $1, \"stepSizes\": [0.1,"
                                                                + " -0.2, 0.1],")))
                        .endsWith(state + "per-step size -0.2 is not a positive number"));
        String text =
                refusal(
                        resealed(
                                dir,
                                c ->
                                        c.replaceFirst(
                                                "\"stepSize\": ([^,]*),",
                                                "\"stepSize\": $1, \"stepSizes\": \"fast\",")));
        assertTrue(text.contains(state + "its content does not parse"), text);
        Path fine =
                resealed(
                        dir,
                        c ->
                                c.replaceFirst(
                                        "\"stepSize\": ([^,]*),",
                                        "\"stepSize\": $1, \"stepSizes\": [0.1, 0.2, 0.3],"));
        assertArrayEquals(
                new float[] {0.1f, 0.2f, 0.3f}, Checkpoint.read(fine).getLangevin().getStepSizes());
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) throws IOException {
        Path copy = copy(dir);
        Files.delete(copy.resolve("optimizer.bin"));
        DamagedFileException e =
                assertThrows(DamagedFileException.class, () -> Checkpoint.read(copy));
        assertEquals(copy.resolve("optimizer.bin") + " is damaged: it is missing", e.getMessage());
    }
}
