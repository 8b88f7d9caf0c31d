package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.execute;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --method}: ABP with Han et al.'s settings and persistent latents; Ladder-VAE, VAE
 * and GLO with their own inference.
 */
class MethodCommandTest {

    @Test
    void abpTrainsWithItsOwnSettingsKeepsItsLatentsAndResumesOnlyAsAbp(@TempDir Path dir)
            throws IOException {
        Path out = dir.resolve("abp");
        CommandTest.Result r =
                execute(
                        "train",
                        "--method",
                        "abp",
                        "--z-dims",
                        "4,6",
                        "--channels",
                        "16",
                        "--batch-size",
                        "8",
                        "--iterations",
                        "2",
                        "--eval-images",
                        "8",
                        "--eval-at-start",
                        "--threads",
                        "2",
                        "--out",
                        out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(
                2,
                r.out()
                        .lines()
                        .filter(l -> l.contains("\"event\":\"test_reconstruction\""))
                        .count(),
                r.out());
        JsonObject training =
                JsonParser.parseString(Files.readString(out.resolve("config.json")))
                        .getAsJsonObject()
                        .getAsJsonObject("training");
        // the method is an object of its name and options; sigma is a shared setting
        JsonObject abp = training.getAsJsonObject("method");
        assertEquals("abp", abp.get("name").getAsString());
        assertEquals(40, abp.get("steps").getAsInt());
        assertEquals(0.3, abp.get("stepSize").getAsDouble(), 1e-6);
        assertEquals(0.3, training.get("sigma").getAsDouble(), 1e-6);
        // 9,000 embedded training images of 4 + 6 latent dimensions, after two ints
        assertEquals(8 + 9000L * 10 * 4, Files.size(out.resolve("checkpoint/latents.bin")));
        assertEquals(
                0,
                execute(
                                "reconstruct",
                                "--checkpoint",
                                out.toString(),
                                "--count",
                                "8",
                                "--out",
                                dir.resolve("r.png").toString())
                        .code());
        assertBadInput(
                execute(
                        "train",
                        "--resume",
                        out.toString(),
                        "--method",
                        "shortrun",
                        "--iterations",
                        "3",
                        "--threads",
                        "2"),
                "method: abp in the checkpoint, shortrun asked");
        CommandTest.Result resumed =
                execute(
                        "train",
                        "--resume",
                        out.toString(),
                        "--iterations",
                        "3",
                        "--eval-images",
                        "8",
                        "--threads",
                        "2");
        assertEquals(0, resumed.code(), resumed.err());
    }

    /**
     * Each comparison method learns: after 30 iterations its test reconstruction error is below its
     * untrained start's, measured by its own inference, which {@code reconstruct} also uses.
     */
    @Test
    void ladderVaeVaeAndGloBeatTheirUntrainedStart(@TempDir Path dir) throws IOException {
        for (String method : new String[] {"lvae", "vae", "glo"}) {
            Path out = dir.resolve(method);
            String[] train = {
                "train",
                "--method",
                method,
                "--z-dims",
                "4,6",
                "--channels",
                "16",
                "--batch-size",
                "16",
                "--iterations",
                "30",
                "--lr",
                "1e-3",
                "--lr-schedule",
                "constant",
                "--eval-images",
                "32",
                "--eval-at-start",
                "--threads",
                "2",
                "--out",
                out.toString()
            };
            // the KL warm-up is an option of the variational methods only; GLO refuses it
            CommandTest.Result r =
                    execute(
                            method.equals("glo")
                                    ? train
                                    : CommandTest.concat(train, "--kl-warmup", "10"));
            assertEquals(0, r.code(), method + ": " + r.err());
            List<Double> mse =
                    r.out()
                            .lines()
                            .filter(l -> l.contains("\"event\":\"test_reconstruction\""))
                            .map(
                                    l ->
                                            JsonParser.parseString(l)
                                                    .getAsJsonObject()
                                                    .get("mse")
                                                    .getAsDouble())
                            .toList();
            assertEquals(2, mse.size(), r.out());
            assertTrue(mse.get(1) < 0.8 * mse.get(0), method + ": " + mse);
            assertEquals(
                    method.equals("glo"),
                    Files.exists(out.resolve("checkpoint/latents.bin")),
                    method);
            assertEquals(
                    !method.equals("glo"),
                    Files.exists(out.resolve("checkpoint/encoder.bin")),
                    method);
            CommandTest.Result reconstructed =
                    execute(
                            "reconstruct",
                            "--checkpoint",
                            out.toString(),
                            "--count",
                            "32",
                            "--out",
                            dir.resolve(method + ".png").toString());
            assertEquals(0, reconstructed.code(), reconstructed.err());
            JsonObject line = JsonParser.parseString(reconstructed.out().strip()).getAsJsonObject();
            assertEquals(method, line.get("inference").getAsString());
            // the same images, the same inference and draws as train's final measurement
            assertEquals(mse.get(1), line.get("mse").getAsDouble(), 1e-6, method);
            assertEquals(
                    0,
                    execute(
                                    "sample",
                                    "--checkpoint",
                                    out.toString(),
                                    "--count",
                                    "8",
                                    "--out",
                                    dir.resolve(method + "-s.png").toString())
                            .code());
        }
        assertBadInput(
                execute(
                        "train",
                        "--method",
                        "lvae",
                        "--parameterisation",
                        "ladder",
                        "--z-dims",
                        "4,6",
                        "--iterations",
                        "1",
                        "--threads",
                        "2",
                        "--out",
                        dir.resolve("bad").toString()),
                "the ladder parameterisation has none; use the released one");
        assertBadInput(
                execute(
                        "train",
                        "--method",
                        "vae",
                        "--kl-warmup",
                        "-1",
                        "--iterations",
                        "1",
                        "--out",
                        dir.resolve("bad2").toString()),
                "KL warm-up must be >= 0 iterations, got -1");
        assertBadInput(
                execute(
                        "train",
                        "--method",
                        "glo",
                        "--code-lr",
                        "0",
                        "--iterations",
                        "1",
                        "--out",
                        dir.resolve("bad3").toString()),
                "code learning rate must be positive, got 0");
    }

    /**
     * The Langevin autoencoders learn: after 30 iterations the test reconstruction error (one
     * encoder pass) is below the untrained start's, and reconstruct reports the same figure.
     */
    @Test
    void langevinAutoencodersBeatTheirUntrainedStart(@TempDir Path dir) throws IOException {
        for (String method : new String[] {"lae", "clae"}) {
            Path out = dir.resolve(method);
            CommandTest.Result r =
                    execute(
                            "train",
                            "--method",
                            method,
                            "--z-dims",
                            "4,6",
                            "--channels",
                            "16",
                            "--batch-size",
                            "16",
                            "--iterations",
                            "30",
                            "--lr",
                            "1e-3",
                            "--lr-schedule",
                            "constant",
                            "--prior-steps",
                            "10",
                            "--eval-images",
                            "32",
                            "--eval-at-start",
                            "--threads",
                            "2",
                            "--out",
                            out.toString());
            assertEquals(0, r.code(), method + ": " + r.err());
            List<Double> mse =
                    r.out()
                            .lines()
                            .filter(l -> l.contains("\"event\":\"test_reconstruction\""))
                            .map(
                                    l ->
                                            JsonParser.parseString(l)
                                                    .getAsJsonObject()
                                                    .get("mse")
                                                    .getAsDouble())
                            .toList();
            assertEquals(2, mse.size(), r.out());
            assertTrue(mse.get(1) < 0.8 * mse.get(0), method + ": " + mse);
            JsonObject training =
                    JsonParser.parseString(Files.readString(out.resolve("config.json")))
                            .getAsJsonObject()
                            .getAsJsonObject("training");
            JsonObject options = training.getAsJsonObject("method");
            assertEquals(method, options.get("name").getAsString());
            assertEquals(2, options.get("steps").getAsInt());
            assertTrue(Files.exists(out.resolve("checkpoint/encoder.bin")), method);
            assertEquals(
                    method.equals("clae"),
                    Files.exists(out.resolve("checkpoint/prior.bin")),
                    method);
            CommandTest.Result reconstructed =
                    execute(
                            "reconstruct",
                            "--checkpoint",
                            out.toString(),
                            "--count",
                            "32",
                            "--out",
                            dir.resolve(method + ".png").toString());
            assertEquals(0, reconstructed.code(), reconstructed.err());
            JsonObject line = JsonParser.parseString(reconstructed.out().strip()).getAsJsonObject();
            assertEquals(method, line.get("inference").getAsString());
            assertEquals(mse.get(1), line.get("mse").getAsDouble(), 1e-6, method);
            assertEquals(
                    0,
                    execute(
                                    "sample",
                                    "--checkpoint",
                                    out.toString(),
                                    "--count",
                                    "8",
                                    "--out",
                                    dir.resolve(method + "-s.png").toString())
                            .code());
        }
        assertBadInput(
                execute(
                        "train",
                        "--method",
                        "clae",
                        "--prior-steps",
                        "0",
                        "--iterations",
                        "1",
                        "--out",
                        dir.resolve("bad").toString()),
                "the prior's Langevin steps must be in [1, 100000], got 0");
        assertBadInput(
                execute(
                        "train",
                        "--method",
                        "lae",
                        "--step-size-every",
                        "5",
                        "--iterations",
                        "1",
                        "--threads",
                        "2",
                        "--out",
                        dir.resolve("bad2").toString()),
                "lae has no option 'stepSizeTuning'; its options: steps, eta,");
    }

    @Test
    void shortRunCheckpointsHoldNoLatents(@TempDir Path dir) {
        Path out = dir.resolve("s");
        CommandTest.Result r =
                execute(
                        CommandTest.concat(
                                CommandTest.concat(new String[] {"train"}, CommandTest.TINY),
                                "--iterations",
                                "1",
                                "--eval-images",
                                "8",
                                "--out",
                                out.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(!Files.exists(out.resolve("checkpoint/latents.bin")));
    }
}
