package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.concat;
import static org.shortrun.cli.CommandTest.execute;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/** {@code shortrun stepsize} on a small trained model. */
class StepsizeCommandTest {

    @TempDir static Path shared;
    static Path run;

    @BeforeAll
    static void trainASmallModel() {
        run = shared.resolve("run");
        CommandTest.Result r =
                execute("train", "--z-dims", "4,6", "--channels", "16", "--batch-size", "16", "--steps", "10", "--lr", "1e-3", "--lr-schedule", "constant",
                        "--iterations", "30", "--eval-images", "16", "--threads", "2", "--out", run.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void printsALinePerStepSizeAndTheMinimiserLast() {
        CommandTest.Result r =
                execute("stepsize", "--checkpoint", run.toString(), "--examples", "1", "--steps", "4", "--grid", "0.02:0.06:0.02", "--gradient",
                        "--gradient-iterations", "2", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        List<String> lines = EvalCommandTest.lines(r.out());
        assertEquals(3 + 3 + 1, lines.size(), r.out());
        JsonObject first = EvalCommandTest.json(lines.get(0));
        for (String key : List.of("s", "objective", "log_q", "log_joint", "min_singular_value", "min_abs_eigenvalue")) {
            assertTrue(first.has(key), key + " missing from " + first);
        }
        assertEquals(0.02, first.get("s").getAsDouble());
        JsonObject last = EvalCommandTest.json(lines.get(lines.size() - 1));
        double best = Double.POSITIVE_INFINITY;
        double argmin = 0;
        for (String line : lines.subList(0, 3)) {
            JsonObject o = EvalCommandTest.json(line);
            if (o.get("objective").getAsDouble() < best) {
                best = o.get("objective").getAsDouble();
                argmin = o.get("s").getAsDouble();
            }
        }
        assertEquals(argmin, last.get("minimiser").getAsDouble());
        assertTrue(last.has("gradient_minimiser"), last.toString());
    }

    @Test
    void badInputs(@TempDir Path dir) {
        String cp = run.toString();
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", "0:0.1:0.05"), "positive");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", "0.05,-0.01"), "positive");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", ""), "empty");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--grid", "a,b"), "--grid");
        assertBadInput(execute("stepsize", "--checkpoint", cp, "--examples", "0"), "--examples");
        assertBadInput(execute("stepsize", "--checkpoint", dir.resolve("none").toString()), "none");
    }

    @Test
    void aNonFiniteObjectiveIsReportedForItsS() {
        // s = 1e20: the chains overflow to infinity within a few steps
        CommandTest.Result r =
                execute(concat(new String[] {"stepsize", "--checkpoint", run.toString(), "--examples", "1", "--steps", "4", "--grid", "0.05,1e20"}, "--threads", "2"));
        assertEquals(0, r.code(), r.err());
        List<String> lines = EvalCommandTest.lines(r.out());
        JsonObject wild = EvalCommandTest.json(lines.get(1));
        assertEquals(1e20, wild.get("s").getAsDouble());
        assertTrue(!wild.get("finite").getAsBoolean(), wild.toString());
        assertEquals(0.05, EvalCommandTest.json(lines.get(2)).get("minimiser").getAsDouble());
    }
}
