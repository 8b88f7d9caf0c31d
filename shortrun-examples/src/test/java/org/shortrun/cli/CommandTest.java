package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shortrun.engine.CpuDescription;
import org.shortrun.engine.EngineCheck;
import org.shortrun.engine.GradientCheck;

/** Runs the command in-process, as a user would, and checks exit codes and what it prints. */
class CommandTest {

    /** A tiny, fast model: a few seconds per run on two cores. */
    static final String[] TINY = {
        "--z-dims", "4,6", "--channels", "16", "--batch-size", "8", "--steps", "2", "--threads", "2"
    };

    @TempDir static Path shared;
    static Path run;

    record Result(int code, String out, String err) {
        List<String> errLines() {
            return Arrays.stream(err.split("\n")).filter(l -> !l.isBlank()).toList();
        }
    }

    static Result execute(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = ShortrunCommand.execute(args);
            return new Result(
                    code,
                    out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(Arrays.asList(a));
        all.addAll(Arrays.asList(b));
        return all.toArray(new String[0]);
    }

    /** One run every test can read: 3 iterations with a checkpoint. */
    @BeforeAll
    static void trainOnce() {
        run = shared.resolve("run");
        Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--iterations",
                                "3",
                                "--checkpoint-every",
                                "2",
                                "--eval-images",
                                "16",
                                "--out",
                                run.toString()));
        assertEquals(0, r.code(), r.err());
    }

    static void assertBadInput(Result r, String... fragments) {
        assertEquals(2, r.code(), "exit code; stderr: " + r.err());
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), "one line expected, got: " + r.err());
        assertFalse(r.err().contains("\tat "), "stack trace printed: " + r.err());
        for (String f : fragments) {
            assertTrue(lines.get(0).contains(f), "'" + f + "' missing from: " + lines.get(0));
        }
    }

    @Test
    void trainWritesEverythingItPromises() throws IOException {
        for (String f :
                new String[] {
                    "config.json",
                    "metrics.csv",
                    "samples.png",
                    "reconstructions.png",
                    "loss.png",
                    "checkpoint/state.json"
                }) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        assertEquals(4, Files.readAllLines(run.resolve("metrics.csv")).size());
        assertTrue(Files.readString(run.resolve("config.json")).contains("\"zDims\""));
        JsonObject check =
                JsonParser.parseString(Files.readString(run.resolve("config.json")))
                        .getAsJsonObject()
                        .getAsJsonObject("engine_check");
        assertTrue(check.get("ok").getAsBoolean(), check.toString());
        assertTrue(check.get("latent_gradient_error").getAsDouble() < 1e-4, check.toString());
        assertEquals(
                CpuDescription.ofThisMachine().model(),
                check.getAsJsonObject("cpu").get("model").getAsString());
        assertTrue(
                check.getAsJsonObject("cpu").has("flags")
                        && check.has("libtorch")
                        && check.has("engine_convolution_bug"),
                check.toString());
        JsonObject config =
                JsonParser.parseString(Files.readString(run.resolve("config.json")))
                        .getAsJsonObject();
        JsonObject versions = config.getAsJsonObject("versions");
        assertEquals(ShortrunCommand.VERSION, versions.get("shortrun").getAsString());
        assertEquals("0.32.0", versions.get("djl").getAsString());
        assertEquals("2.5.1", versions.get("libtorch").getAsString());
        assertEquals(2, config.get("threads").getAsInt());
        assertEquals(
                CpuDescription.ofThisMachine().model(),
                config.getAsJsonObject("cpu").get("model").getAsString());
        List<String> commandLine = new ArrayList<>();
        config.getAsJsonArray("command_line").forEach(a -> commandLine.add(a.getAsString()));
        assertEquals("shortrun", commandLine.get(0));
        assertEquals("train", commandLine.get(1));
        assertTrue(
                commandLine.contains("--checkpoint-every") && commandLine.contains(run.toString()),
                commandLine.toString());
    }

    @Test
    void wrongEngineGradientsStopWithOneLine() {
        CpuDescription cpu = CpuDescription.ofThisMachine();
        EngineCheck.Report wrong =
                new EngineCheck.Report(
                        cpu,
                        "2.5.1",
                        "0.32.0",
                        0.5,
                        new GradientCheck.Result(0.47, 0.55, "03head0_01mean_01weight"),
                        1.0);
        // EngineCheck.require throws an InputException with this one line, which the command
        // prints with exit code 2
        String problem = wrong.problem();
        assertFalse(wrong.ok());
        assertTrue(
                problem.startsWith("the engine computes wrong gradients on this machine"), problem);
        assertTrue(
                problem.contains("0.470")
                        && problem.contains("03head0_01mean_01weight")
                        && problem.contains(cpu.model()),
                problem);
        assertFalse(problem.contains("\n"));
        EngineCheck.Report right =
                new EngineCheck.Report(
                        cpu,
                        "2.5.1",
                        "0.32.0",
                        0.5,
                        new GradientCheck.Result(3e-7, 2e-6, "w"),
                        1.0);
        assertEquals(null, right.problem());
        assertTrue(right.engineHasConvolutionBug() && right.ok());
    }

    @Test
    void sampleAndReconstructReadTheCheckpoint(@TempDir Path dir) {
        Result s =
                execute(
                        "sample",
                        "--checkpoint",
                        run.toString(),
                        "--count",
                        "4",
                        "--out",
                        dir.resolve("s.png").toString(),
                        "--threads",
                        "2");
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.isRegularFile(dir.resolve("s.png")));
        Result r =
                execute(
                        "reconstruct",
                        "--checkpoint",
                        run.resolve("checkpoint").toString(),
                        "--count",
                        "8",
                        "--out",
                        dir.resolve("r.png").toString(),
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"mse\":") && r.out().contains("\"mse01\":"), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("r.png")));
    }

    @Test
    void resumeContinuesToMoreIterations(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("run");
        copyTree(run, copy);
        Result r =
                execute(
                        "train",
                        "--resume",
                        copy.toString(),
                        "--iterations",
                        "4",
                        "--eval-images",
                        "8",
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
        List<String> metrics = Files.readAllLines(copy.resolve("metrics.csv"));
        assertEquals(5, metrics.size());
        assertTrue(metrics.get(4).startsWith("4,"));
    }

    @Test
    void benchPrintsTheKeysScriptsRead() {
        Result r =
                execute(
                        concat(
                                new String[] {"bench"},
                                "--z-dims",
                                "4",
                                "--channels",
                                "16",
                                "--batch-size",
                                "4",
                                "--steps",
                                "2",
                                "--iterations",
                                "2",
                                "--warmup",
                                "1",
                                "--threads",
                                "2",
                                "--rss-at",
                                "3"));
        assertEquals(0, r.code(), r.err());
        for (String key :
                new String[] {
                    "sec_per_iter_median",
                    "sec_per_iter_min",
                    "images_per_sec",
                    "threads",
                    "params",
                    "rss_mb",
                    "cpu",
                    "avx512",
                    "engine_check"
                }) {
            assertTrue(r.out().contains("\"" + key + "\""), key + " missing: " + r.out());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "--steps, 0, 'steps K must be positive, got 0'",
        "--steps, -3, 'steps K must be positive, got -3'",
        "--step-size, 0, 'step size must be positive, got 0'",
        "--step-size, -0.05, 'step size must be positive, got -0.05'",
        "--batch-size, 0, 'batch size must be positive, got 0'",
        "--sigma, 0, 'sigma must be positive, got 0'",
        "--sigma, -1, 'sigma must be positive, got -1'",
        "--z-dims, '', 'Invalid value for option ''--z-dims'' (D,D,..): '''' is not an int'",
        "--z-dims, '16,a,64', 'Invalid value for option ''--z-dims'' (D,D,..): ''a'' is not an"
                + " int'",
        "--z-dims, '16,,64', 'Invalid value for option ''--z-dims'' (D,D,..): '''' is not an int'",
        "--z-dims, '16,0', 'every z-dim must be in [1, 4096], got 0'",
        "--z-dims, '4,100000000', 'every z-dim must be in [1, 4096], got 100000000'",
        "--channels, 0, 'channels must be in [1, 1024], got 0'",
        "--channels, 5000, 'channels must be in [1, 1024], got 5000'",
        "--batch-size, 4294967297, '4294967297'",
        "--steps, 1000000, 'steps K must be at most 100000, got 1000000'"
    })
    void nonPositiveOrMalformedSettings(
            String flag, String value, String message, @TempDir Path dir) {
        assertBadInput(
                execute(
                        "train",
                        "--iterations",
                        "1",
                        flag,
                        value,
                        "--out",
                        dir.resolve("o").toString()),
                message);
    }

    @Test
    void missingDataDirectory(@TempDir Path dir) {
        assertBadInput(
                execute(
                        "train",
                        "--data-dir",
                        dir.resolve("nowhere").toString(),
                        "--out",
                        dir.resolve("o").toString()),
                "does not exist");
    }

    @Test
    void truncatedIdxFile(@TempDir Path dir) throws IOException {
        writeMnist(dir, 0x803, 28, 500);
        assertBadInput(
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--data-dir",
                                dir.toString(),
                                "--out",
                                dir.resolve("o").toString())),
                "truncated",
                "train-images");
    }

    @Test
    void wrongMagicNumber(@TempDir Path dir) throws IOException {
        writeMnist(dir, 0x801, 28, 0);
        assertBadInput(
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--data-dir",
                                dir.toString(),
                                "--out",
                                dir.resolve("o").toString())),
                "magic number",
                "train-images");
    }

    @Test
    void wrongDimensions(@TempDir Path dir) throws IOException {
        writeMnist(dir, 0x803, 27, 0);
        assertBadInput(
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--data-dir",
                                dir.toString(),
                                "--out",
                                dir.resolve("o").toString())),
                "27x27",
                "expected 28x28");
    }

    @Test
    void checkpointOfAnotherModel() {
        assertBadInput(
                execute(
                        "train",
                        "--resume",
                        run.toString(),
                        "--z-dims",
                        "8,8",
                        "--iterations",
                        "5",
                        "--threads",
                        "2"),
                "is for another model");
    }

    @Test
    void checkpointTrainedWithOtherSettings() {
        assertBadInput(
                execute(
                        "train",
                        "--resume",
                        run.toString(),
                        "--steps",
                        "7",
                        "--iterations",
                        "5",
                        "--threads",
                        "2"),
                "other settings",
                "Langevin steps: 2 in the checkpoint, 7 asked");
    }

    /**
     * Every setting but the length and the checkpoint interval is refused on resume, named, with
     * both values; none is ignored.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(
            delimiter = '|',
            value = {
                "--step-size|0.1|step size: 0.05 in the checkpoint, 0.1 asked",
                "--batch-size|4|batch size: 8 in the checkpoint, 4 asked",
                "--sigma|0.3|sigma: 0.15 in the checkpoint, 0.3 asked",
                "--lr|0.01|learning rate: ",
                "--lr-schedule|paper|learning-rate schedule: ",
                "--seed|7|seed: 1 in the checkpoint, 7 asked",
                "--sigma-anneal-from|1.0|sigma annealed from: null in the checkpoint, 1.0 asked",
                "--step-size-every|5|step-size tuning: null in the checkpoint",
                "--channels|32|is for another model",
                "--sd-head|softplus|is for another model",
                "--image-size|64|is for another model",
                "--parameterisation|ladder|is for another model",
                "--no-skip||is for another model"
            })
    void resumeRefusesEverySettingThatCannotChange(String option, String value, String message) {
        // a flag without a value (--no-skip) comes as null
        String[] setting = value == null ? new String[] {option} : new String[] {option, value};
        assertBadInput(
                execute(
                        concat(
                                concat(new String[] {"train", "--resume", run.toString()}, setting),
                                "--iterations",
                                "5",
                                "--threads",
                                "2")),
                message);
    }

    @Test
    void resumeAcceptsTheCheckpointsOwnStepSize(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("run");
        copyTree(run, copy);
        Result r =
                execute(
                        "train",
                        "--resume",
                        copy.toString(),
                        "--step-size",
                        "0.05",
                        "--iterations",
                        "4",
                        "--eval-images",
                        "8",
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void corruptCheckpoint(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("run");
        copyTree(run, copy);
        Path params = copy.resolve("checkpoint/parameters.bin");
        byte[] b = Files.readAllBytes(params);
        Files.write(params, Arrays.copyOf(b, b.length - 10));
        byte[] before = Files.readAllBytes(params);
        assertBadInput(
                execute(
                        "train",
                        "--resume",
                        copy.toString(),
                        "--iterations",
                        "5",
                        "--threads",
                        "2"),
                "is damaged",
                "parameters.bin");
        assertBadInput(execute("sample", "--checkpoint", copy.toString()), "is damaged");
        assertTrue(
                Arrays.equals(before, Files.readAllBytes(params)),
                "the failed run changed the checkpoint");
    }

    @Test
    void missingCheckpoint(@TempDir Path dir) {
        assertBadInput(
                execute("reconstruct", "--checkpoint", dir.resolve("none").toString()),
                "does not exist");
    }

    @Test
    void aFreshRunNeverOverwritesAnExistingCheckpoint() throws IOException {
        byte[] before = Files.readAllBytes(run.resolve("checkpoint/parameters.bin"));
        assertBadInput(
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--iterations",
                                "1",
                                "--out",
                                run.toString())),
                "already holds a checkpoint");
        assertTrue(
                Arrays.equals(
                        before, Files.readAllBytes(run.resolve("checkpoint/parameters.bin"))));
    }

    /** Per-step sizes are tuned by gradient descent only, and only with --step-size-every. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "--step-size-every 5 --step-size-per-step|--step-size-per-step needs"
                    + " --step-size-search gradient: the grid searches one s shared by all steps",
                "--step-size-every 5 --step-size-search grid"
                        + " --step-size-per-step|--step-size-per-step needs --step-size-search"
                        + " gradient",
                "--step-size-search gradient --step-size-per-step|the --step-size-* options need"
                        + " --step-size-every T"
            })
    void perStepSizesNeedTheGradientSearch(String options, String message, @TempDir Path dir) {
        assertBadInput(
                execute(
                        concat(
                                concat(
                                        new String[] {"train", "--iterations", "1"},
                                        options.split(" ")),
                                "--out",
                                dir.resolve("o").toString())),
                message);
        assertFalse(Files.exists(dir.resolve("o")), "nothing is written for a refused run");
    }

    @Test
    void resumeRefusesToSwitchBetweenSharedAndPerStepTuning(@TempDir Path dir) {
        Path tuned = dir.resolve("tuned");
        Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--iterations",
                                "1",
                                "--eval-images",
                                "8",
                                "--step-size-every",
                                "5",
                                "--step-size-search",
                                "gradient",
                                "--step-size-gradient-iterations",
                                "1",
                                "--step-size-examples",
                                "1",
                                "--out",
                                tuned.toString()));
        assertEquals(0, r.code(), r.err());
        assertBadInput(
                execute(
                        "train",
                        "--resume",
                        tuned.toString(),
                        "--step-size-per-step",
                        "--iterations",
                        "2",
                        "--threads",
                        "2"),
                "other settings",
                "step-size tuning: {\"every\":5,\"search\":\"GRADIENT\",\"perStep\":false",
                "\"perStep\":true");
    }

    /**
     * A copy of the shared run whose checkpoint holds the given per-step sizes, as a per-step run
     * writes them.
     */
    private static Path withPerStepSizes(Path dir, String sizes) throws IOException {
        Path copy = dir.resolve("perstep-" + sizes.replace(',', '-'));
        copyTree(run, copy);
        Path state = copy.resolve("checkpoint/state.json");
        String content = org.shortrun.io.SealedJson.read(state, "checkpoint state", 3, 1 << 20);
        Files.write(
                state,
                org.shortrun.io.SealedJson.seal(
                        "checkpoint state",
                        3,
                        content.replaceFirst(
                                "\"stepSize\": ([^,]*),",
                                "\"stepSize\": $1, \"stepSizes\": [" + sizes + "],")));
        return copy;
    }

    private static double reconstructionMse(Path checkpoint, String... options) {
        Result r =
                execute(
                        concat(
                                concat(
                                        new String[] {
                                            "reconstruct",
                                            "--checkpoint",
                                            checkpoint.toString(),
                                            "--count",
                                            "8",
                                            "--threads",
                                            "2",
                                            "--out",
                                            checkpoint.resolve("r.png").toString()
                                        },
                                        options)));
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().filter(l -> l.startsWith("{")).toList();
        return JsonParser.parseString(lines.get(lines.size() - 1))
                .getAsJsonObject()
                .get("mse")
                .getAsDouble();
    }

    /**
     * reconstruct and the model zoo infer with the checkpoint's per-step sizes: equal ones give the
     * shared s's error bit for bit, distinct ones another error than their mean; another K needs a
     * step size of its own.
     */
    @Test
    void inferenceTakesTheCheckpointsPerStepSizes(@TempDir Path dir) throws Exception {
        Path equal = withPerStepSizes(dir, "0.05,0.05");
        Path distinct = withPerStepSizes(dir, "0.02,0.2");
        double shared = reconstructionMse(run);
        assertEquals(shared, reconstructionMse(equal), 0);
        double perStep = reconstructionMse(distinct);
        assertTrue(
                perStep != shared && perStep != reconstructionMse(distinct, "--step-size", "0.11"),
                "the per-step sizes were not used: " + perStep);
        assertEquals(
                shared,
                reconstructionMse(distinct, "--step-size", "0.05"),
                0,
                "--step-size replaces them with one s");
        assertBadInput(
                execute("reconstruct", "--checkpoint", distinct.toString(), "--steps", "3"),
                "K = 3",
                "K = 2",
                "give a step size too");
        assertEquals(
                0,
                execute(
                                "reconstruct",
                                "--checkpoint",
                                equal.toString(),
                                "--steps",
                                "3",
                                "--count",
                                "8",
                                "--threads",
                                "2",
                                "--out",
                                dir.resolve("e.png").toString())
                        .code(),
                "equal sizes are a shared s, which any K can take");

        try (ai.djl.Model model = ai.djl.Model.newInstance("perstep", "PyTorch")) {
            org.shortrun.zoo.ShortrunModels.load(model, distinct);
            assertEquals("0.02,0.2", model.getProperty(org.shortrun.zoo.ShortrunModels.STEP_SIZES));
            // the translators infer with the model's own sampler, overridden by optSteps and
            // optStepSize through Langevin.overriding
            org.shortrun.inference.Langevin own =
                    org.shortrun.zoo.ShortrunModels.latentModel(model).getLangevin();
            assertArrayEquals(new float[] {0.02f, 0.2f}, own.getStepSizes());
            assertArrayEquals(
                    new float[] {0.07f, 0.07f, 0.07f}, own.overriding(3, 0.07f).getStepSizes());
            try (ai.djl.inference.Predictor<
                            org.shortrun.zoo.ImageBatch, org.shortrun.zoo.Reconstructed>
                    predictor =
                            model.newPredictor(
                                    org.shortrun.zoo.ReconstructionTranslator.builder()
                                            .optSteps(3)
                                            .build())) {
                ai.djl.translate.TranslateException e =
                        assertThrows(
                                ai.djl.translate.TranslateException.class,
                                () -> predictor.predict(testImages(2)));
                String message = String.valueOf(e.getMessage());
                assertTrue(
                        message.contains("K = 2") && message.contains("give a step size too"),
                        message);
            }
        }
    }

    /** The first n held-out images of the embedded MNIST, as the commands measure them. */
    static org.shortrun.zoo.ImageBatch testImages(int n) {
        org.shortrun.data.ImageDataset test =
                org.shortrun.data.MnistImages.embedded(32)
                        .slice(9_000, org.shortrun.data.MnistImages.EMBEDDED_COUNT);
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            return org.shortrun.zoo.ImageBatch.of(test.batch(manager, 0, n));
        }
    }

    @Test
    void unknownOptionIsOneLine() {
        assertBadInput(execute("train", "--no-such-flag"), "no-such-flag");
    }

    static void writeMnist(Path dir, int magic, int side, int missing) throws IOException {
        writeMnist(dir, magic, side, missing, 4);
    }

    static void writeMnist(Path dir, int magic, int side, int missing, int n) throws IOException {
        ByteBuffer images = ByteBuffer.allocate(16 + n * side * side);
        images.putInt(magic).putInt(n).putInt(side).putInt(side);
        gzip(
                dir.resolve("train-images-idx3-ubyte.gz"),
                Arrays.copyOf(images.array(), images.capacity() - missing));
        ByteBuffer labels = ByteBuffer.allocate(8 + n);
        labels.putInt(0x801).putInt(n);
        gzip(dir.resolve("train-labels-idx1-ubyte.gz"), labels.array());
    }

    static void gzip(Path file, byte[] bytes) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
