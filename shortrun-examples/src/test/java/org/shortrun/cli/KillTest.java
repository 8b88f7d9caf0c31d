package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;

/**
 * kill -9 at random moments of a run that checkpoints after every iteration: every checkpoint left
 * is loadable and finite, and resuming after the last kill ends with the parameters of a run that
 * was never interrupted. The suite kills {@value #SUITE_KILLS} times; {@code -Dshortrun.kills=20}
 * kills more.
 */
class KillTest {

    static final int SUITE_KILLS = 4;
    static final int ITERATIONS = 40;

    @Test
    void everyCheckpointLeftByAKillIsWholeAndResumingMatchesAnUninterruptedRun(@TempDir Path dir)
            throws Exception {
        int kills = Integer.getInteger("shortrun.kills", SUITE_KILLS);
        Path reference = dir.resolve("reference");
        assertEquals(
                0,
                launch(reference, false).waitFor(),
                () -> "the uninterrupted run: " + log(reference));

        Path killed = dir.resolve("killed");
        Random random = new Random(20261201L);
        int checkpointsChecked = 0;
        List<String> moments = new ArrayList<>();
        for (int k = 0; k < kills; k++) {
            boolean resume = Checkpoint.exists(killed);
            long from = resume ? Checkpoint.read(killed).getIteration() : 0;
            if (from >= ITERATIONS - 2) {
                // too close to the end to kill inside the run: start over, as a user would
                deleteTree(killed);
                resume = false;
                from = 0;
            }
            // a moment inside the training loop: once the checkpoint of a random later iteration
            // is written, plus up to 150 ms, so into one of the next few iterations or saves
            long after = from + 1 + random.nextInt((int) Math.max(1, (ITERATIONS - from) / 2));
            int extraMillis = random.nextInt(150);
            Process p = launch(killed, resume);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (p.isAlive() && savedIteration(killed) < after && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(extraMillis);
            p.destroyForcibly();
            p.waitFor();
            if (Checkpoint.exists(killed)) {
                Checkpoint checkpoint = Checkpoint.read(killed);
                moments.add(
                        "checkpoint "
                                + after
                                + " + "
                                + extraMillis
                                + " ms: left "
                                + checkpoint.getIteration());
                try (NDManager manager = NDManager.newBaseManager();
                        Learner learner =
                                checkpoint.restore(checkpoint.getLearningConfig(), manager)) {
                    assertNull(learner.describeNonFinite(), "checkpoint left by kill " + k);
                }
                checkpointsChecked++;
            } else {
                moments.add("checkpoint " + after + " + " + extraMillis + " ms: left none");
            }
        }
        Process last = launch(killed, Checkpoint.exists(killed));
        assertEquals(0, last.waitFor(), () -> "the resumed run: " + log(killed));
        byte[] expected = Files.readAllBytes(reference.resolve("checkpoint/parameters.bin"));
        byte[] actual = Files.readAllBytes(killed.resolve("checkpoint/parameters.bin"));
        System.out.println(
                "kill -9: "
                        + kills
                        + " kills ("
                        + String.join(", ", moments)
                        + "), "
                        + checkpointsChecked
                        + " checkpoints left, all loadable and finite; resumed to iteration "
                        + ITERATIONS
                        + ": parameters "
                        + (java.util.Arrays.equals(expected, actual)
                                ? "identical to"
                                : "DIFFERENT from")
                        + " the uninterrupted run's");
        assertTrue(checkpointsChecked > 0, "no kill left a checkpoint to check");
        assertArrayEquals(expected, actual, "parameters after resuming");
    }

    private static Process launch(Path out, boolean resume) throws IOException {
        List<String> args = new ArrayList<>(List.of("train"));
        if (resume) {
            args.addAll(List.of("--resume", out.toString()));
        } else {
            // the tiny model, on one thread: two wait on each other on a busy machine
            args.addAll(List.of(CommandTest.TINY));
            int threads = args.indexOf("--threads");
            args.remove(threads + 1);
            args.remove(threads);
        }
        args.addAll(List.of("--threads", "1"));
        args.addAll(
                List.of(
                        "--iterations",
                        Integer.toString(ITERATIONS),
                        "--checkpoint-every",
                        "1",
                        "--eval-images",
                        "8",
                        "--out",
                        out.toString()));
        return new ProcessBuilder(ReliabilityCommandTest.javaCommand(args.toArray(new String[0])))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(
                        ProcessBuilder.Redirect.appendTo(
                                out.resolveSibling(out.getFileName() + ".log").toFile()))
                .start();
    }

    private static String log(Path out) {
        try {
            return Files.readString(out.resolveSibling(out.getFileName() + ".log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * The iteration of the checkpoint in {@code out}, or -1 while there is none or it is being
     * replaced.
     */
    private static long savedIteration(Path out) {
        try {
            return Checkpoint.exists(out) ? Checkpoint.read(out).getIteration() : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
