package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.execute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.io.DirectoryLock;

/**
 * {@code table --cell} as a job array, and the locks that keep two processes off one job directory.
 */
class TableJobCommandTest {

    private static final String CELL1 = "mnist-L2-K2-short-run";

    @TempDir static Path shared;
    static Path whole;

    /** The reference: one run of the whole tiny spec. */
    @BeforeAll
    static void runTheWholeSpecOnce() throws IOException {
        Path spec = Files.writeString(shared.resolve("tiny.json"), EvalCommandTest.TINY_SPEC);
        whole = shared.resolve("whole");
        CommandTest.Result all =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        whole.toString(),
                        "--threads",
                        "2");
        assertEquals(0, all.code(), all.err());
    }

    @Test
    void cellsRunSeparatelyGiveTheSameTableAsOneRun(@TempDir Path dir) throws IOException {
        Path spec = Files.writeString(dir.resolve("tiny.json"), EvalCommandTest.TINY_SPEC);

        // a job array, its tasks in the other order and each in its own invocation
        Path split = dir.resolve("split");
        CommandTest.Result second =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        split.toString(),
                        "--cell",
                        "2",
                        "--threads",
                        "2");
        assertEquals(0, second.code(), second.err());
        assertTrue(second.err().contains("cell 2/2 mnist-L2-K3-short-run"), second.err());
        assertFalse(
                Files.exists(split.resolve("cells").resolve(CELL1).resolve("result.json")),
                "--cell 2 runs only cell 2");
        String partial = Files.readString(split.resolve("table.md"));
        assertTrue(partial.contains("| short-run | 2 | 2 | pending |"), partial);
        List<String> lines = EvalCommandTest.lines(second.out());
        assertEquals(2, lines.size(), second.out());
        assertEquals(
                "mnist-L2-K3-short-run",
                EvalCommandTest.json(lines.get(0)).get("cell").getAsString());
        assertEquals(2, EvalCommandTest.json(lines.get(1)).get("cells").getAsInt());

        CommandTest.Result first =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        split.toString(),
                        "--cell",
                        "1",
                        "--threads",
                        "2");
        assertEquals(0, first.code(), first.err());
        assertArrayEquals(
                Files.readAllBytes(whole.resolve("table.md")),
                Files.readAllBytes(split.resolve("table.md")),
                "cells run separately give the same table.md as one run:\n"
                        + Files.readString(split.resolve("table.md")));
        assertFalse(Files.readString(split.resolve("table.md")).contains("pending"));

        CommandTest.Result again =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        split.toString(),
                        "--cell",
                        "1",
                        "--threads",
                        "2");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("cell 1/2 " + CELL1 + " done before, kept"), again.err());
        assertBadInput(
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        split.toString(),
                        "--cell",
                        "3"),
                "--cell",
                "between 1 and 2");
        assertBadInput(
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        split.toString(),
                        "--cell",
                        "0"),
                "--cell",
                "between 1 and 2");
    }

    @Test
    void aSecondWriterOnALockedJobIsRefusedAtOnce(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path spec = Files.writeString(dir.resolve("tiny.json"), EvalCommandTest.TINY_SPEC);
        Path out = dir.resolve("out");
        Path lockFile = out.resolve("locks").resolve("cell-" + CELL1 + ".lock");
        Process holder = LockHolder.start(lockFile);
        try {
            long started = System.nanoTime();
            CommandTest.Result refused =
                    execute(
                            "table",
                            "--spec",
                            spec.toString(),
                            "--out",
                            out.toString(),
                            "--threads",
                            "2");
            double seconds = (System.nanoTime() - started) / 1e9;
            assertBadInput(
                    refused,
                    "cell " + CELL1,
                    "is in use by pid " + holder.pid() + " on ",
                    lockFile.toString());
            assertTrue(seconds < 30, "refused at once, before any training: " + seconds + " s");
            assertFalse(
                    Files.exists(out.resolve("cells")), "nothing written by the refused writer");
            assertFalse(Files.exists(out.resolve("spec.json")));
            // a job array's other cell is not held up by the lock on this one
            CommandTest.Result other =
                    execute(
                            "table",
                            "--spec",
                            spec.toString(),
                            "--out",
                            out.toString(),
                            "--cell",
                            "2",
                            "--threads",
                            "2");
            assertEquals(0, other.code(), other.err());
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(0, holder.exitValue());
        assertEquals(
                "", Files.readString(lockFile), "a lock released properly leaves an empty file");
        // the same refusal when the holder is this very process (a library user's job, or a test)
        try (DirectoryLock held = DirectoryLock.acquire(lockFile, "test lock")) {
            assertBadInput(
                    execute(
                            "table",
                            "--spec",
                            spec.toString(),
                            "--out",
                            out.toString(),
                            "--cell",
                            "1"),
                    "is in use by " + DirectoryLock.currentOwner());
        }
    }

    @Test
    void aStaleLockFromAKilledProcessIsTakenOver(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path spec = Files.writeString(dir.resolve("tiny.json"), EvalCommandTest.TINY_SPEC);
        Path out = dir.resolve("out");
        Path lockFile = out.resolve("locks").resolve("cell-" + CELL1 + ".lock");
        Process holder = LockHolder.start(lockFile);
        holder.destroyForcibly();
        assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        assertTrue(
                Files.readString(lockFile).contains("pid " + holder.pid()),
                "a killed writer leaves its lock file behind");
        CommandTest.Result r =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        out.toString(),
                        "--cell",
                        "1",
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.err().contains("took over the stale lock")
                        && r.err().contains("pid " + holder.pid()),
                r.err());
        assertTrue(Files.isRegularFile(out.resolve("cells").resolve(CELL1).resolve("result.json")));
        assertEquals("", Files.readString(lockFile));
    }

    @Test
    void cellsOfAJobArrayRunConcurrentlyInSeparateProcesses(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path spec = Files.writeString(dir.resolve("tiny.json"), EvalCommandTest.TINY_SPEC);
        Path out = dir.resolve("array");
        Process first =
                command(
                        dir.resolve("task1"),
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        out.toString(),
                        "--cell",
                        "1",
                        "--threads",
                        "1");
        Process second =
                command(
                        dir.resolve("task2"),
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        out.toString(),
                        "--cell",
                        "2",
                        "--threads",
                        "1");
        assertTrue(
                first.waitFor(300, TimeUnit.SECONDS) && second.waitFor(300, TimeUnit.SECONDS),
                "both tasks end");
        assertEquals(0, first.exitValue(), Files.readString(dir.resolve("task1.err")));
        assertEquals(0, second.exitValue(), Files.readString(dir.resolve("task2.err")));
        assertArrayEquals(
                Files.readAllBytes(whole.resolve("table.md")),
                Files.readAllBytes(out.resolve("table.md")),
                "two tasks writing at the same time leave the whole table:\n"
                        + Files.readString(out.resolve("table.md")));
    }

    /**
     * Runs the command in another JVM, as a task of a job array would; its output goes to {@code
     * log}.out and .err.
     */
    private static Process command(Path log, String... args) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> line =
                new java.util.ArrayList<>(
                        List.of(
                                java.toString(),
                                "-Dai.djl.offline=true",
                                "-Xmx1g",
                                "-cp",
                                System.getProperty("java.class.path"),
                                ShortrunCommand.class.getName()));
        line.addAll(List.of(args));
        return new ProcessBuilder(line)
                .redirectOutput(log.resolveSibling(log.getFileName() + ".out").toFile())
                .redirectError(log.resolveSibling(log.getFileName() + ".err").toFile())
                .start();
    }
}
