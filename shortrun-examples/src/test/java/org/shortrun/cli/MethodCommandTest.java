package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.execute;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code train --method abp}: Han et al.'s settings by default, persistent latents in the checkpoint, the usual inference after it. */
class MethodCommandTest {

    @Test
    void abpTrainsWithItsOwnSettingsKeepsItsLatentsAndResumesOnlyAsAbp(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("abp");
        CommandTest.Result r = execute("train", "--method", "abp", "--z-dims", "4,6", "--channels", "16", "--batch-size", "8", "--iterations", "2",
                "--eval-images", "8", "--eval-at-start", "--threads", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.out().lines().filter(l -> l.contains("\"event\":\"test_reconstruction\"")).count(), r.out());
        JsonObject training = JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject().getAsJsonObject("training");
        assertEquals("ABP", training.get("method").getAsString());
        assertEquals(40, training.get("steps").getAsInt());
        assertEquals(0.3, training.get("stepSize").getAsDouble(), 1e-6);
        assertEquals(0.3, training.get("sigma").getAsDouble(), 1e-6);
        // 9,000 embedded training images of 4 + 6 latent dimensions, after two ints
        assertEquals(8 + 9000L * 10 * 4, Files.size(out.resolve("checkpoint/latents.bin")));
        assertEquals(0, execute("reconstruct", "--checkpoint", out.toString(), "--count", "8", "--out", dir.resolve("r.png").toString()).code());
        assertBadInput(execute("train", "--resume", out.toString(), "--method", "shortrun", "--iterations", "3", "--threads", "2"), "method: ABP in the checkpoint, SHORTRUN asked");
        CommandTest.Result resumed = execute("train", "--resume", out.toString(), "--iterations", "3", "--eval-images", "8", "--threads", "2");
        assertEquals(0, resumed.code(), resumed.err());
    }

    @Test
    void shortRunCheckpointsHoldNoLatents(@TempDir Path dir) {
        Path out = dir.resolve("s");
        CommandTest.Result r = execute(CommandTest.concat(CommandTest.concat(new String[] {"train"}, CommandTest.TINY), "--iterations", "1", "--eval-images", "8", "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(!Files.exists(out.resolve("checkpoint/latents.bin")));
    }
}
