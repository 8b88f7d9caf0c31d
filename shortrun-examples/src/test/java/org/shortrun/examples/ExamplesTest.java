package org.shortrun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example main runs on tiny settings, as a user of the library would chain them, with only
 * public API from outside the library's packages: train 2 iterations and save, load through {@code
 * Criteria}, sample, reconstruct and inpaint through {@code Predictor}s, FID between two folders.
 */
class ExamplesTest {

    /** A main that throws fails the test; what it prints is returned. */
    private interface Main {
        void run() throws Exception;
    }

    private static String stdout(Main main) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            main.run();
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8).trim();
    }

    private static long pngs(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".png")).count();
        }
    }

    @Test
    void theNoiseGapMainPrintsTheClosedFormsAndDrawsThem(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("gap.png");
        String[] lines = stdout(() -> NoiseGap.main(new String[] {png.toString()})).split("\n");
        assertEquals(30, lines.length);
        JsonObject at = JsonParser.parseString(lines[10]).getAsJsonObject();
        assertEquals(0.065, at.get("s").getAsDouble(), 1e-12);
        assertEquals(
                at.get("fixed_noise_objective").getAsDouble() - at.get("objective").getAsDouble(),
                at.get("noise_gap").getAsDouble(),
                1e-3);
        assertEquals(6.50, at.get("noise_gap").getAsDouble(), 0.01, lines[10]);
        assertEquals(1, pngs(dir));
    }

    @Test
    void theMainsTrainSaveLoadSampleReconstructInpaintAndMeasureFid(@TempDir Path dir)
            throws Exception {
        Path run = dir.resolve("run");
        // two iterations: what is checked is the chain, not the learning, and an iteration of the
        // README's model costs seconds on two busy cores
        String trained = stdout(() -> TrainMnist.main(new String[] {run.toString(), "2", "8"}));
        assertTrue(trained.contains("trained 2 iterations"), trained);
        assertTrue(Files.isRegularFile(run.resolve("checkpoint").resolve("state.json")));
        assertEquals(3, Files.readAllLines(run.resolve("metrics.csv")).size());

        Path samples = dir.resolve("samples");
        stdout(
                () ->
                        SampleImages.main(
                                new String[] {run.toString(), "6", samples.toString(), "2"}));
        assertEquals(6, pngs(samples));

        JsonObject reconstruction =
                JsonParser.parseString(
                                stdout(
                                        () ->
                                                ReconstructImages.main(
                                                        new String[] {run.toString(), "8", "1"})))
                        .getAsJsonObject();
        assertEquals(8, reconstruction.get("images").getAsInt());
        double mse = reconstruction.get("mse").getAsDouble();
        // on [-1, 1], any image against any reconstruction is below 4 per pixel
        assertTrue(mse > 0 && mse < 4, "mse " + mse);

        Path inpainted = dir.resolve("inpainted");
        JsonObject inpainting =
                JsonParser.parseString(
                                stdout(
                                        () ->
                                                InpaintImages.main(
                                                        new String[] {
                                                            run.toString(),
                                                            samples.toString(),
                                                            inpainted.toString(),
                                                            "center"
                                                        })))
                        .getAsJsonObject();
        assertEquals(6, inpainting.get("images").getAsInt());
        assertEquals(6, pngs(inpainted));

        Path inception =
                Path.of(
                        "..",
                        "shortrun-eval",
                        "src",
                        "test",
                        "resources",
                        "fixtures",
                        "tiny_inception_fid64.pt");
        JsonObject fid =
                JsonParser.parseString(
                                stdout(
                                        () ->
                                                FolderFid.main(
                                                        new String[] {
                                                            inception.toString(),
                                                            samples.toString(),
                                                            inpainted.toString(),
                                                            "64"
                                                        })))
                        .getAsJsonObject();
        double distance = fid.get("fid").getAsDouble();
        assertTrue(Double.isFinite(distance) && distance >= 0, "fid " + distance);
        // a folder against itself is at distance 0, up to the square root's rounding
        JsonObject self =
                JsonParser.parseString(
                                stdout(
                                        () ->
                                                FolderFid.main(
                                                        new String[] {
                                                            inception.toString(),
                                                            samples.toString(),
                                                            samples.toString(),
                                                            "64"
                                                        })))
                        .getAsJsonObject();
        assertTrue(self.get("fid").getAsDouble() < 1e-3 * Math.max(1, distance), self.toString());
    }

    /**
     * A generator of one's own (an MLP decoder as a plain DJL block) learns by short-run inference
     * with its step size tuned, loads into a fresh decoder through {@code Criteria.optBlock}, and
     * learns as a VAE's decoder: every line it prints is finite, and the short-run error after
     * training is below the untrained one.
     */
    @Test
    void bringYourOwnGeneratorLearnsItByShortRunInferenceAndAsAVae(@TempDir Path dir)
            throws Exception {
        List<JsonObject> lines =
                Arrays.stream(
                                stdout(
                                                () ->
                                                        BringYourOwnGenerator.main(
                                                                new String[] {
                                                                    dir.resolve("byo").toString(),
                                                                    "4",
                                                                    "50"
                                                                }))
                                        .split("\n"))
                        .filter(l -> l.startsWith("{"))
                        .map(l -> JsonParser.parseString(l).getAsJsonObject())
                        .toList();
        String all = lines.toString();
        JsonObject before = line(lines, "shortrun", "before");
        JsonObject after = line(lines, "shortrun", "after");
        JsonObject predictor = line(lines, "shortrun", "predictor");
        JsonObject vae = line(lines, "vae", "after");
        List<JsonObject> steps =
                lines.stream()
                        .filter(
                                o ->
                                        o.has("event")
                                                && o.get("event").getAsString().equals("step_size"))
                        .toList();
        assertFalse(steps.isEmpty(), "no step_size event: " + all);
        for (JsonObject step : steps) {
            double s = step.get("s").getAsDouble();
            assertTrue(Double.isFinite(s) && s > 0, all);
            assertTrue(step.get("iteration").getAsLong() >= 0, all);
        }
        for (JsonObject o : List.of(before, after, predictor, vae)) {
            double mse = o.get("mse").getAsDouble();
            // on [-1, 1], any image against any reconstruction is below 4 per pixel
            assertTrue(Double.isFinite(mse) && mse > 0 && mse < 4, o + " in " + all);
        }
        double s = after.get("step_size").getAsDouble();
        assertTrue(Double.isFinite(s) && s > 0, all);
        assertTrue(
                after.get("mse").getAsDouble() < before.get("mse").getAsDouble(),
                "short-run learning did not lower the test error: " + all);
    }

    /** The one line of a model at a moment; fails unless there is exactly one. */
    private static JsonObject line(List<JsonObject> lines, String model, String when) {
        List<JsonObject> found =
                lines.stream()
                        .filter(
                                o ->
                                        o.has("model")
                                                && o.get("model").getAsString().equals(model)
                                                && o.get("when").getAsString().equals(when))
                        .toList();
        assertEquals(1, found.size(), model + " " + when + " in " + lines);
        return found.get(0);
    }

    @Test
    void theReadmesLibrarySnippetIsTrainMnistVerbatim() throws IOException {
        String source =
                Files.readString(
                        Path.of(
                                "src",
                                "main",
                                "java",
                                "org",
                                "shortrun",
                                "examples",
                                "TrainMnist.java"));
        String readme = Files.readString(Path.of("..", "README.md"));
        String fromImports = source.substring(source.indexOf("import "));
        assertTrue(
                readme.contains(fromImports),
                "README.md's \"As a library\" block must hold TrainMnist.java from its first import"
                        + " on");
    }
}
