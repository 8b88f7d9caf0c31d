package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.concat;
import static org.shortrun.cli.CommandTest.execute;

import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code shortrun stepsize} on a small trained model. */
class StepsizeCommandTest {

    @TempDir static Path shared;
    static Path run;

    @BeforeAll
    static void trainASmallModel() {
        run = shared.resolve("run");
        CommandTest.Result r =
                execute(
                        "train",
                        "--z-dims",
                        "4,6",
                        "--channels",
                        "16",
                        "--batch-size",
                        "16",
                        "--steps",
                        "10",
                        "--lr",
                        "1e-3",
                        "--lr-schedule",
                        "constant",
                        "--iterations",
                        "30",
                        "--eval-images",
                        "16",
                        "--threads",
                        "2",
                        "--out",
                        run.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void printsALinePerStepSizeAndTheMinimiserLast(@TempDir Path dir) throws IOException {
        Path plot = dir.resolve("objective.png");
        CommandTest.Result r =
                execute(
                        "stepsize",
                        "--checkpoint",
                        run.toString(),
                        "--examples",
                        "1",
                        "--steps",
                        "4",
                        "--grid",
                        "0.02:0.06:0.02",
                        "--gradient",
                        "--gradient-iterations",
                        "2",
                        "--threads",
                        "2",
                        "--plot",
                        plot.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = EvalCommandTest.lines(r.out());
        assertEquals(3 + 3 + 1, lines.size(), r.out());
        JsonObject first = EvalCommandTest.json(lines.get(0));
        for (String key :
                List.of(
                        "s",
                        "objective",
                        "log_q",
                        "log_joint",
                        "min_singular_value",
                        "min_abs_eigenvalue",
                        "min_eigenvalue",
                        "admissible")) {
            assertTrue(first.has(key), key + " missing from " + first);
        }
        assertEquals(0.02, first.get("s").getAsDouble());
        JsonObject last = EvalCommandTest.json(lines.get(lines.size() - 1));
        double best = Double.POSITIVE_INFINITY;
        double admissibleAt = Double.NaN;
        double lowest = Double.POSITIVE_INFINITY;
        double lowestAt = 0;
        for (String line : lines.subList(0, 3)) {
            JsonObject o = EvalCommandTest.json(line);
            if (o.get("admissible").getAsBoolean() && o.get("objective").getAsDouble() < best) {
                best = o.get("objective").getAsDouble();
                admissibleAt = o.get("s").getAsDouble();
            }
            if (o.get("objective").getAsDouble() < lowest) {
                lowest = o.get("objective").getAsDouble();
                lowestAt = o.get("s").getAsDouble();
            }
        }
        assertEquals("lowest", last.get("rule").getAsString(), "the paper's rule is the default");
        assertEquals(lowestAt, last.get("minimiser").getAsDouble());
        assertEquals(lowestAt, last.get("lowest_minimiser").getAsDouble());
        if (Double.isNaN(admissibleAt)) {
            assertFalse(last.has("admissible_minimiser"), last.toString());
        } else {
            assertEquals(admissibleAt, last.get("admissible_minimiser").getAsDouble());
        }
        assertTrue(last.has("gradient_minimiser"), last.toString());
        assertPng(plot);
    }

    static void assertPng(Path file) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " is not an image");
        assertEquals(720, image.getWidth());
        assertEquals(450, image.getHeight());
    }

    @Test
    void trainingReoptimisesTheStepSizeAndDrawsIt(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("tuned");
        CommandTest.Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, CommandTest.TINY),
                                "--iterations",
                                "4",
                                "--eval-images",
                                "8",
                                "--step-size-every",
                                "2",
                                "--step-size-examples",
                                "1",
                                "--step-size-grid",
                                "0.02,0.05,0.1",
                                "--out",
                                out.toString()));
        assertEquals(0, r.code(), r.err());
        List<JsonObject> events =
                EvalCommandTest.lines(r.out()).stream()
                        .map(EvalCommandTest::json)
                        .filter(
                                o ->
                                        o.has("event")
                                                && o.get("event").getAsString().equals("step_size"))
                        .toList();
        assertEquals(2, events.size(), r.out());
        assertEquals(2, events.get(1).get("iteration").getAsLong());
        List<String> searches = Files.readAllLines(out.resolve("stepsize.jsonl"));
        assertEquals(2, searches.size());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        for (int i = 1; i <= 4; i++) {
            double chosen = events.get((i - 1) / 2).get("s").getAsDouble();
            assertEquals(
                    (float) chosen,
                    Float.parseFloat(metrics.get(i).split(",")[3]),
                    "step_size of iteration " + i);
        }
        assertPng(out.resolve("stepsize.png"));
        assertPng(out.resolve("stepsize-objective.png"));
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"stepSizeTuning\""));
    }

    @Test
    void badStepSizeTuning(@TempDir Path dir) {
        String o = dir.resolve("o").toString();
        assertBadInput(
                execute("train", "--iterations", "1", "--step-size-every", "0", "--out", o),
                "interval must be positive");
        assertBadInput(
                execute(
                        "train",
                        "--iterations",
                        "1",
                        "--step-size-every",
                        "2",
                        "--step-size-search",
                        "line",
                        "--out",
                        o),
                "grid or gradient");
        assertBadInput(
                execute(
                        "train",
                        "--iterations",
                        "1",
                        "--step-size-every",
                        "2",
                        "--step-size-examples",
                        "0",
                        "--out",
                        o),
                "examples");
        assertBadInput(
                execute(
                        "train",
                        "--iterations",
                        "1",
                        "--step-size-every",
                        "2",
                        "--step-size-grid",
                        "0.1,0",
                        "--out",
                        o),
                "--step-size-grid",
                "positive");
        assertBadInput(
                execute("train", "--iterations", "1", "--step-size-grid", "0.1", "--out", o),
                "need --step-size-every");
        assertBadInput(
                execute(
                        "train",
                        "--iterations",
                        "1",
                        "--step-size-every",
                        "2",
                        "--step-size-select",
                        "best",
                        "--out",
                        o),
                "--step-size-select");
        assertBadInput(
                execute(
                        "train",
                        "--iterations",
                        "1",
                        "--step-size-every",
                        "2",
                        "--step-size-log-det",
                        "quick",
                        "--out",
                        o),
                "--step-size-log-det",
                "exact or fast");
        assertBadInput(
                execute("train", "--iterations", "1", "--step-size-log-det", "fast", "--out", o),
                "need --step-size-every");
    }

    @Test
    void trainingCanSearchWithTheFastLogDeterminant(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("fast");
        CommandTest.Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, CommandTest.TINY),
                                "--iterations",
                                "1",
                                "--eval-images",
                                "8",
                                "--step-size-every",
                                "5",
                                "--step-size-examples",
                                "1",
                                "--step-size-grid",
                                "0.02,0.05",
                                "--step-size-log-det",
                                "fast",
                                "--out",
                                out.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(
                Files.readString(out.resolve("config.json"))
                        .contains("\"logDeterminant\": \"FAST\""),
                Files.readString(out.resolve("config.json")));
    }

    @Test
    void theFastLogDeterminantChoosesAsTheExactOne() {
        // one thread: the fast search runs many small passes, which two threads slow down badly
        // when other work shares the cores (docs/STEPSIZE.md)
        String[] common = {
            "stepsize",
            "--checkpoint",
            run.toString(),
            "--examples",
            "1",
            "--chains",
            "2",
            "--steps",
            "6",
            "--grid",
            "0.01:0.15:0.02",
            "--threads",
            "1"
        };
        CommandTest.Result exact = execute(common);
        CommandTest.Result fast = execute(concat(common, "--log-det", "fast"));
        assertEquals(0, exact.code(), exact.err());
        assertEquals(0, fast.code(), fast.err());
        List<String> exactLines = EvalCommandTest.lines(exact.out());
        List<String> fastLines = EvalCommandTest.lines(fast.out());
        JsonObject exactSummary = EvalCommandTest.json(exactLines.get(exactLines.size() - 1));
        JsonObject fastSummary = EvalCommandTest.json(fastLines.get(fastLines.size() - 1));
        assertEquals("exact", exactSummary.get("log_det").getAsString());
        assertEquals("fast", fastSummary.get("log_det").getAsString());
        for (String rule : List.of("admissible_minimiser", "lowest_minimiser")) {
            assertEquals(
                    exactSummary.get(rule),
                    fastSummary.get(rule),
                    rule + ": " + exact.out() + fast.out());
        }
    }

    @Test
    void trainingChoosesAsThePaperUnlessToldToKeepToAdmissibleS(@TempDir Path dir)
            throws IOException {
        for (String rule : new String[] {null, "admissible"}) {
            Path out = dir.resolve(rule == null ? "paper" : rule);
            String[] args =
                    concat(
                            concat(new String[] {"train"}, CommandTest.TINY),
                            "--iterations",
                            "1",
                            "--eval-images",
                            "8",
                            "--step-size-every",
                            "5",
                            "--step-size-examples",
                            "1",
                            "--step-size-grid",
                            "0.05",
                            "--out",
                            out.toString());
            CommandTest.Result r =
                    execute(rule == null ? args : concat(args, "--step-size-select", rule));
            assertEquals(0, r.code(), r.err());
            assertTrue(
                    Files.readString(out.resolve("config.json"))
                            .contains(rule == null ? "LOWEST_FINITE" : "\"ADMISSIBLE\""),
                    rule);
        }
    }

    @Test
    void theNoiseCanBeIntegratedOutAndTheFixedNoiseChoiceIsReportedBeside() {
        CommandTest.Result r =
                execute(
                        "stepsize",
                        "--checkpoint",
                        run.toString(),
                        "--examples",
                        "1",
                        "--steps",
                        "3",
                        "--grid",
                        "0.01,0.02",
                        "--noise-draws",
                        "2",
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
        List<String> lines = EvalCommandTest.lines(r.out());
        assertEquals(3, lines.size(), r.out());
        JsonObject first = EvalCommandTest.json(lines.get(0));
        assertEquals("linearised", first.get("noise_proposal").getAsString());
        assertEquals(2, first.get("noise_draws").getAsInt());
        assertEquals(
                first.get("fixed_noise_objective").getAsDouble()
                        - first.get("objective").getAsDouble(),
                first.get("noise_gap").getAsDouble(),
                1e-6);
        JsonObject last = EvalCommandTest.json(lines.get(2));
        assertTrue(last.has("fixed_noise_minimiser"), last.toString());
        assertEquals("linearised", last.get("noise_proposal").getAsString());
    }

    @Test
    void badInputs(@TempDir Path dir) {
        String cp = run.toString();
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", "0:0.1:0.05"), "positive");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", "0.05,-0.01"), "positive");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", ""), "empty");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", "a,b"), "--grid");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--examples", "0"), "--examples");
        assertBadInput(
                execute("stepsize", "--checkpoint", cp, "--select", "best"),
                "--select",
                "lowest or admissible");
        assertBadInput(
                execute("stepsize", "--checkpoint", cp, "--noise-draws", "-1"),
                "noise draws must be at least 0, got -1");
        assertBadInput(
                execute("stepsize", "--checkpoint", cp, "--noise-draws", "2", "--gradient"),
                "the noise-integrated objective has no derivative: no gradient descent with noise"
                        + " draws");
        assertBadInput(
                execute("stepsize", "--checkpoint", cp, "--noise-proposal", "prior"),
                "a noise proposal needs noise draws");
        assertBadInput(
                execute(
                        "stepsize",
                        "--checkpoint",
                        cp,
                        "--noise-draws",
                        "2",
                        "--noise-proposal",
                        "posterior"),
                "--noise-proposal",
                "expected one of [PRIOR, LINEARISED]");
        assertBadInput(
                execute("stepsize", "--checkpoint", cp, "--log-det", "quick"),
                "--log-det",
                "expected one of [EXACT, FAST]");
        assertBadInput(execute("stepsize", "--checkpoint", dir.resolve("none").toString()), "none");
    }

    @Test
    void aNonFiniteObjectiveIsReportedForItsS() {
        // s = 1e20: the chains overflow to infinity within a few steps; the lowest finite
        // estimate is then 0.05's, whether or not 0.05 is admissible for this model
        CommandTest.Result r =
                execute(
                        concat(
                                new String[] {
                                    "stepsize",
                                    "--checkpoint",
                                    run.toString(),
                                    "--examples",
                                    "1",
                                    "--steps",
                                    "4",
                                    "--grid",
                                    "0.05,1e20",
                                    "--select",
                                    "lowest"
                                },
                                "--threads",
                                "2"));
        assertEquals(0, r.code(), r.err());
        List<String> lines = EvalCommandTest.lines(r.out());
        JsonObject wild = EvalCommandTest.json(lines.get(1));
        assertEquals(1e20, wild.get("s").getAsDouble());
        assertTrue(!wild.get("finite").getAsBoolean(), wild.toString());
        assertEquals(0.05, EvalCommandTest.json(lines.get(2)).get("minimiser").getAsDouble());
    }
}
