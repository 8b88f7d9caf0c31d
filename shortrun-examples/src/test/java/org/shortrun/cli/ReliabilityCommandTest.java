package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.TINY;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.concat;
import static org.shortrun.cli.CommandTest.copyTree;
import static org.shortrun.cli.CommandTest.execute;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a user can cause while training: a full disk, an output that cannot be written, a second
 * writer, a resume into another run's directory or onto other data. Each ends in one line and exit
 * code 2, and no checkpoint is lost or overwritten.
 */
class ReliabilityCommandTest {

    @TempDir static Path shared;
    static Path run;

    @BeforeAll
    static void trainOnce() {
        run = shared.resolve("run");
        CommandTest.Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--iterations",
                                "2",
                                "--checkpoint-every",
                                "1",
                                "--eval-images",
                                "8",
                                "--out",
                                run.toString()));
        assertEquals(0, r.code(), r.err());
    }

    /**
     * Exit 2 and one error line with no stack trace; lines the command printed before the fault
     * (the engine check's) may precede it.
     */
    static void assertOneError(CommandTest.Result r, String... fragments) {
        assertOneErrorOf("train", r, fragments);
    }

    static void assertOneErrorOf(String subcommand, CommandTest.Result r, String... fragments) {
        assertEquals(2, r.code(), "exit code; stderr: " + r.err());
        List<String> errors =
                r.errLines().stream()
                        .filter(l -> l.startsWith("shortrun " + subcommand + ": "))
                        .toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).startsWith("shortrun " + subcommand + ": error: "), r.err());
        assertTrue(!r.err().contains("\tat "), "stack trace printed: " + r.err());
        for (String f : fragments) {
            assertTrue(errors.get(0).contains(f), "'" + f + "' missing from: " + errors.get(0));
        }
    }

    private static String[] train(Path out, String... more) {
        return concat(
                concat(
                        concat(new String[] {"train"}, TINY),
                        "--iterations",
                        "2",
                        "--eval-images",
                        "8",
                        "--out",
                        out.toString()),
                more);
    }

    @Test
    void aFullDiskIsOneLineNamingTheFile(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        // writing to /dev/full fails as a full disk does, with ENOSPC
        Files.createSymbolicLink(out.resolve("config.json"), Path.of("/dev/full"));
        CommandTest.Result r = execute(train(out));
        assertOneError(
                r, "cannot write " + out.resolve("config.json") + ": no space left on device");
        System.out.println("full disk: " + r.errLines().get(r.errLines().size() - 1));
    }

    @Test
    void anOutputThatCannotBeCreatedIsOneLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        CommandTest.Result under = execute(train(file.resolve("out")));
        assertBadInput(under, "cannot write " + file.resolve("out") + ": ");
        System.out.println("output under a file: " + under.errLines().get(0));
        // /sys is mounted read-only in containers and refuses new entries even to root
        Path readOnly = Path.of("/sys", "shortrun-test-" + ProcessHandle.current().pid());
        CommandTest.Result ro = execute(train(readOnly));
        assertBadInput(ro, "cannot write " + readOnly + ": ");
        System.out.println("read-only output: " + ro.errLines().get(0));
    }

    /**
     * Every subcommand that writes a picture or a folder of them says in one line that it cannot.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {"sample", "reconstruct", "inpaint", "hierarchy"})
    void everyWritingSubcommandReportsAnUnwritableOutputInOneLine(String subcommand) {
        Path readOnly = Path.of("/sys", "shortrun-test-" + subcommand);
        String[] args =
                subcommand.equals("reconstruct") || subcommand.equals("inpaint")
                        ? new String[] {
                            subcommand,
                            "--checkpoint",
                            run.toString(),
                            "--count",
                            "4",
                            "--out",
                            readOnly.toString()
                        }
                        : new String[] {
                            subcommand, "--checkpoint", run.toString(), "--out", readOnly.toString()
                        };
        CommandTest.Result r = execute(args);
        assertOneErrorOf(subcommand, r, readOnly.toString());
        List<String> errors =
                r.errLines().stream()
                        .filter(l -> l.startsWith("shortrun " + subcommand + ": "))
                        .toList();
        System.out.println("unwritable output of " + subcommand + ": " + errors.get(0));
    }

    @Test
    void aSecondWriterIsRefusedAtOnceAndAStaleLockIsTakenOver(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Path lock = out.resolve(org.shortrun.training.RunDirectory.LOCK);
        Process holder = LockHolder.start(lock);
        try {
            CommandTest.Result r = execute(train(out));
            assertBadInput(
                    r,
                    "run directory " + out + " is in use by pid " + holder.pid() + " on ",
                    "(lock " + lock + ")");
            System.out.println("second writer: " + r.errLines().get(0));
        } finally {
            holder.destroyForcibly().waitFor();
        }
        assertTrue(
                Files.readString(lock).startsWith("pid " + holder.pid()),
                "a killed holder leaves its name behind");
        CommandTest.Result after = execute(train(out));
        assertEquals(0, after.code(), after.err());
        assertTrue(after.err().contains("note: pid " + holder.pid() + " on "), after.err());
        assertTrue(
                after.err().contains("ended without releasing " + lock + "; taken over"),
                after.err());
        assertEquals("", Files.readString(lock), "released empty");
    }

    @Test
    void resumingIntoAnotherRunsDirectoryIsRefusedAndAnEmptyOneIsFilled(@TempDir Path dir)
            throws IOException {
        Path other = dir.resolve("other");
        copyTree(run, other);
        byte[] before = Files.readAllBytes(other.resolve("checkpoint/parameters.bin"));
        CommandTest.Result r =
                execute(
                        "train",
                        "--resume",
                        run.toString(),
                        "--out",
                        other.toString(),
                        "--iterations",
                        "3",
                        "--threads",
                        "2");
        assertBadInput(
                r, "run directory " + other + " already holds the checkpoint of another run");
        assertArrayEquals(before, Files.readAllBytes(other.resolve("checkpoint/parameters.bin")));

        Path fresh = dir.resolve("fresh");
        byte[] resumed = Files.readAllBytes(run.resolve("checkpoint/parameters.bin"));
        CommandTest.Result ok =
                execute(
                        "train",
                        "--resume",
                        run.toString(),
                        "--out",
                        fresh.toString(),
                        "--iterations",
                        "3",
                        "--eval-images",
                        "8",
                        "--threads",
                        "2");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(
                ok.err()
                        .contains(
                                "note: continuing "
                                        + run.resolve("checkpoint")
                                        + " (iteration 2) in "
                                        + fresh),
                ok.err());
        assertArrayEquals(
                resumed,
                Files.readAllBytes(run.resolve("checkpoint/parameters.bin")),
                "the resumed run is left as it was");
        assertTrue(Files.isRegularFile(fresh.resolve("checkpoint/state.json")));
    }

    @Test
    void resumingOnOtherDataIsRefused(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("mnist");
        Files.createDirectories(data);
        // as many images as the checkpoint's batch, so that the data are refused for what they
        // are, not for their number
        CommandTest.writeMnist(data, 0x803, 28, 0, 8);
        CommandTest.Result r =
                execute(
                        "train",
                        "--resume",
                        run.toString(),
                        "--data-dir",
                        data.toString(),
                        "--iterations",
                        "3",
                        "--threads",
                        "2");
        assertBadInput(
                r,
                "data: embedded MNIST test set in the checkpoint, mnist from "
                        + data.toAbsolutePath()
                        + " asked");
        System.out.println("other data: " + r.errLines().get(0));
    }

    @Test
    void aWriteFailingMidRunKeepsThePreviousCheckpoint(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path out = dir.resolve("run");
        copyTree(run, out);
        byte[] before = Files.readAllBytes(out.resolve("checkpoint/parameters.bin"));
        // files may grow to 100 KiB: config.json and metrics.csv fit, parameters.bin does not
        List<String> command =
                new ArrayList<>(List.of("bash", "-c", "ulimit -f 100; exec \"$@\"", "shortrun"));
        command.addAll(
                javaCommand(
                        "train",
                        "--resume",
                        out.toString(),
                        "--iterations",
                        "4",
                        "--eval-images",
                        "8",
                        "--threads",
                        "1"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor(), output);
        List<String> errors = output.lines().filter(l -> l.startsWith("shortrun train: ")).toList();
        assertEquals(1, errors.size(), output);
        assertEquals(
                "shortrun train: error: cannot write "
                        + out.resolve("checkpoint.tmp/parameters.bin")
                        + ": file too large; the checkpoint already in "
                        + out.resolve("checkpoint")
                        + " is kept",
                errors.get(0));
        System.out.println("write failing mid-run: " + errors.get(0));
        assertTrue(!output.contains("\tat "), output);
        assertArrayEquals(before, Files.readAllBytes(out.resolve("checkpoint/parameters.bin")));
        assertEquals(2, org.shortrun.training.Checkpoint.read(out).getIteration());
        assertTrue(
                !Files.exists(out.resolve("checkpoint.tmp")), "the partial checkpoint is removed");
    }

    /** The command in a JVM of its own, as bin/shortrun starts it. */
    static List<String> javaCommand(String... args) {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Xmx1g",
                                "-Dai.djl.offline=true",
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                "-cp",
                                System.getProperty("java.class.path"),
                                ShortrunCommand.class.getName()));
        command.addAll(List.of(args));
        return command;
    }
}
