package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.concat;
import static org.shortrun.cli.CommandTest.execute;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation subcommands: fid, inpaint, hierarchy and table, run as a user would. */
class EvalCommandTest {

    @TempDir static Path shared;
    static Path run;
    static Path fid64;
    static Path fidTf;

    @BeforeAll
    static void trainOnceAndCopyNetworks() throws IOException {
        run = shared.resolve("run");
        CommandTest.Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, CommandTest.TINY),
                                "--iterations",
                                "3",
                                "--eval-images",
                                "16",
                                "--out",
                                run.toString()));
        assertEquals(0, r.code(), r.err());
        fid64 = copyFixture("tiny_inception_fid64.pt");
        fidTf = copyFixture("tiny_inception_tf.pt");
    }

    /**
     * The tiny TorchScript networks live with the eval module's tests (Maven runs tests in the
     * module directory).
     */
    private static Path copyFixture(String name) throws IOException {
        Path source = Path.of("..", "shortrun-eval", "src", "test", "resources", "fixtures", name);
        return Files.copy(source, shared.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    static JsonObject json(String line) {
        return JsonParser.parseString(line).getAsJsonObject();
    }

    static List<String> lines(String out) {
        return Arrays.stream(out.split("\n")).filter(l -> !l.isBlank()).toList();
    }

    static void writeImages(Path dir, int count, int side, long seed) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    image.getRaster().setSample(x, y, 0, random.nextInt(256));
                }
            }
            ImageIO.write(image, "png", dir.resolve(String.format("img%03d.png", i)).toFile());
        }
    }

    @Test
    void fidFromACheckpointCachesTheRealStatistics(@TempDir Path dir) {
        String[] args = {
            "fid",
            "--checkpoint",
            run.toString(),
            "--inception",
            fid64.toString(),
            "--feature-dim",
            "64",
            "--samples",
            "24",
            "--real",
            "test",
            "--kid",
            "--kid-subsets",
            "5",
            "--kid-subset-size",
            "10",
            "--cache-dir",
            dir.toString(),
            "--threads",
            "2"
        };
        CommandTest.Result first = execute(args);
        assertEquals(0, first.code(), first.err());
        JsonObject a = json(lines(first.out()).get(0));
        assertTrue(a.get("real_cache").getAsString().startsWith("written"), a.toString());
        assertEquals("pytorch-fid", a.get("convention").getAsString());
        assertEquals(24, a.get("real_count").getAsInt());
        double fid = a.get("fid").getAsDouble();
        assertTrue(fid > 0 && Double.isFinite(fid), a.toString());
        assertTrue(Double.isFinite(a.get("kid").getAsDouble()), a.toString());
        CommandTest.Result second = execute(args);
        assertEquals(0, second.code(), second.err());
        JsonObject b = json(lines(second.out()).get(0));
        assertEquals("hit", b.get("real_cache").getAsString());
        assertEquals(
                fid, b.get("fid").getAsDouble(), 0.0, "the cached statistics give the same FID");
    }

    @Test
    void fidBetweenTwoFoldersIsZeroForTheSameImages(@TempDir Path dir) throws IOException {
        writeImages(dir.resolve("a"), 12, 32, 1);
        writeImages(dir.resolve("b"), 12, 32, 2);
        CommandTest.Result same =
                execute(
                        "fid",
                        "--fake-dir",
                        dir.resolve("a").toString(),
                        "--real",
                        dir.resolve("a").toString(),
                        "--inception",
                        fid64.toString(),
                        "--feature-dim",
                        "64",
                        "--no-cache");
        assertEquals(0, same.code(), same.err());
        assertEquals(0, json(lines(same.out()).get(0)).get("fid").getAsDouble(), 1e-6);
        CommandTest.Result other =
                execute(
                        "fid",
                        "--fake-dir",
                        dir.resolve("a").toString(),
                        "--real",
                        dir.resolve("b").toString(),
                        "--inception",
                        fid64.toString(),
                        "--feature-dim",
                        "64",
                        "--no-cache");
        assertEquals(0, other.code(), other.err());
        assertTrue(json(lines(other.out()).get(0)).get("fid").getAsDouble() > 1e-3);
        // the TensorFlow convention through the command: grey PNGs repeated to 3 channels, 2048
        // features
        CommandTest.Result tf =
                execute(
                        "fid",
                        "--fake-dir",
                        dir.resolve("a").toString(),
                        "--real",
                        dir.resolve("b").toString(),
                        "--inception",
                        fidTf.toString(),
                        "--no-cache");
        assertEquals(0, tf.code(), tf.err());
        assertEquals("tf-nvidia", json(lines(tf.out()).get(0)).get("convention").getAsString());
    }

    @Test
    void fidBadInputs(@TempDir Path dir) throws IOException {
        String cp = run.toString();
        assertBadInput(
                execute("fid", "--checkpoint", cp), "--inception", "inception-2015-12-05.pt");
        assertBadInput(
                execute(
                        "fid",
                        "--checkpoint",
                        cp,
                        "--inception",
                        dir.resolve("missing.pt").toString()),
                "does not exist");
        Path text =
                Files.writeString(dir.resolve("model.pt"), "not a model", StandardCharsets.UTF_8);
        assertBadInput(
                execute(
                        "fid",
                        "--checkpoint",
                        cp,
                        "--inception",
                        text.toString(),
                        "--samples",
                        "4"),
                "not a TorchScript file");
        assertBadInput(
                execute(
                        "fid",
                        "--checkpoint",
                        cp,
                        "--inception",
                        fid64.toString(),
                        "--samples",
                        "4",
                        "--real",
                        "test",
                        "--no-cache"),
                "64 features",
                "--feature-dim");
        assertBadInput(
                execute(
                        "fid",
                        "--checkpoint",
                        cp,
                        "--inception",
                        fid64.toString(),
                        "--samples",
                        "1"),
                "at least 2");
        assertBadInput(execute("fid", "--inception", fid64.toString()), "exactly one of");
        writeImages(dir.resolve("small"), 3, 16, 3);
        assertBadInput(
                execute(
                        "fid",
                        "--checkpoint",
                        cp,
                        "--inception",
                        fid64.toString(),
                        "--feature-dim",
                        "64",
                        "--samples",
                        "4",
                        "--real",
                        dir.resolve("small").toString()),
                "generates 32x32",
                "16x16");
    }

    @Test
    void inpaintWritesRowsForEveryMaskAndBothErrors(@TempDir Path dir) {
        CommandTest.Result r =
                execute(
                        "inpaint",
                        "--checkpoint",
                        run.toString(),
                        "--count",
                        "16",
                        "--batch-size",
                        "8",
                        "--out",
                        dir.toString(),
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
        List<String> out = lines(r.out());
        assertEquals(7, out.size(), r.out());
        for (String line : out) {
            JsonObject o = json(line);
            assertTrue(Files.isRegularFile(Path.of(o.get("png").getAsString())), line);
            assertTrue(o.get("occluded_mse").getAsDouble() > 0, line);
            assertTrue(o.get("observed_mse").getAsDouble() > 0, line);
            assertEquals(16, o.get("images").getAsInt());
        }
        assertEquals("center", json(out.get(0)).get("mask").getAsString());
    }

    @Test
    void hierarchyWritesAGridPerLayer(@TempDir Path dir) throws IOException {
        CommandTest.Result r =
                execute(
                        "hierarchy",
                        "--checkpoint",
                        run.toString(),
                        "--rows",
                        "3",
                        "--columns",
                        "4",
                        "--out",
                        dir.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = json(lines(r.out()).get(0));
        assertEquals(2, o.get("layers").getAsInt());
        BufferedImage top = ImageIO.read(dir.resolve("layer-1.png").toFile());
        BufferedImage bottom = ImageIO.read(dir.resolve("layer-2.png").toFile());
        // 4 columns and 3 rows of 64-pixel cells (32 x 32 at scale 2) with 2-pixel gaps
        assertEquals(4 * 66 + 2, top.getWidth());
        assertEquals(3 * 66 + 2, top.getHeight());
        assertNotEquals(pixels(top), pixels(bottom), "varying another layer gives another picture");
    }

    private static int pixels(BufferedImage image) {
        return Arrays.hashCode(
                image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth()));
    }

    @Test
    void evaluationRefusesAModelOfAnotherImageSize(@TempDir Path dir) {
        Path big = dir.resolve("big");
        CommandTest.Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, CommandTest.TINY),
                                "--image-size",
                                "64",
                                "--iterations",
                                "1",
                                "--eval-images",
                                "8",
                                "--out",
                                big.toString()));
        assertEquals(0, r.code(), r.err());
        assertBadInput(
                execute(
                        "inpaint",
                        "--checkpoint",
                        big.toString(),
                        "--out",
                        dir.resolve("o").toString()),
                "64x64",
                "32x32");
        assertBadInput(execute("reconstruct", "--checkpoint", big.toString()), "64x64", "32x32");
    }

    @Test
    void inpaintAndHierarchyBadInputs(@TempDir Path dir) {
        assertBadInput(
                execute("inpaint", "--checkpoint", run.toString(), "--fraction", "1.5"),
                "the fraction of pixels occluded must be between 0 and 1, got 1.5");
        assertBadInput(
                execute("inpaint", "--checkpoint", run.toString(), "--mask", "diagonal"), "--mask");
        assertBadInput(
                execute("hierarchy", "--checkpoint", dir.resolve("none").toString()), "none");
        assertBadInput(
                execute("hierarchy", "--checkpoint", run.toString(), "--rows", "0"),
                "a grid needs rows and columns, got 0 and 8");
    }

    static final String TINY_SPEC =
            "{\"name\": \"tiny\", \"datasets\": [\"mnist\"], \"layers\": [2], \"steps\": [2, 3],"
                + " \"methods\": [\"short-run\"], \"z_dims\": {\"2\": [4, 6]}, \"budget\":"
                + " {\"iterations\": 4, \"batch_size\": 8, \"channels\": 16, \"checkpoint_every\":"
                + " 2, \"eval_images\": 16, \"lr\": 8e-5, \"lr_schedule\": \"released\", \"seed\":"
                + " 1}}";

    @Test
    void anAbpCellTrainsWithPersistentLatents(@TempDir Path dir) throws IOException {
        Path spec =
                Files.writeString(
                        dir.resolve("abp.json"),
                        TINY_SPEC.replace(
                                "\"steps\": [2, 3], \"methods\": [\"short-run\"]",
                                "\"steps\": [2], \"methods\": [\"abp\"]"));
        Path out = dir.resolve("job");
        CommandTest.Result r =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        out.toString(),
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
        Path cell = out.resolve("cells/mnist-L2-K2-abp");
        assertTrue(
                Files.isRegularFile(cell.resolve("checkpoint/latents.bin")),
                "the cell trained with persistent latents");
        assertTrue(
                Files.readString(out.resolve("table.csv")).contains("mnist,abp,2,2,"),
                Files.readString(out.resolve("table.csv")));
    }

    @Test
    void tableWritesMarkdownAndCsvAndKeepsFinishedCells(@TempDir Path dir) throws IOException {
        Path spec = Files.writeString(dir.resolve("tiny.json"), TINY_SPEC);
        Path out = dir.resolve("out");
        CommandTest.Result r =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        out.toString(),
                        "--threads",
                        "2");
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(out.resolve("table.md"));
        assertTrue(
                md.contains("| short-run | 2 | 2 |") && md.contains("| short-run | 2 | 3 |"), md);
        List<String> csv = Files.readAllLines(out.resolve("table.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(
                csv.get(1).startsWith("mnist,short-run,2,2,32,4,") && csv.get(1).endsWith(",done"),
                csv.get(1));
        String before = Files.readString(out.resolve("cells/mnist-L2-K3-short-run/result.json"));
        CommandTest.Result again =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        out.toString(),
                        "--threads",
                        "2");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("mnist-L2-K3-short-run done before, kept"), again.err());
        assertEquals(
                before, Files.readString(out.resolve("cells/mnist-L2-K3-short-run/result.json")));
        Path other =
                Files.writeString(
                        dir.resolve("other.json"),
                        TINY_SPEC.replace("\"steps\": [2, 3]", "\"steps\": [2]"));
        assertBadInput(
                execute("table", "--spec", other.toString(), "--out", out.toString()),
                "another spec");
    }

    @Test
    void anInterruptedCellContinuesFromItsCheckpointAndEndsAsIfUninterrupted(@TempDir Path dir)
            throws IOException {
        Path spec = Files.writeString(dir.resolve("tiny.json"), TINY_SPEC);
        Path whole = dir.resolve("whole");
        assertEquals(
                0,
                execute(
                                "table",
                                "--spec",
                                spec.toString(),
                                "--out",
                                whole.toString(),
                                "--threads",
                                "2")
                        .code());
        // a job that died in the first cell after its checkpoint at iteration 2
        Path cut = dir.resolve("cut");
        Path cell = cut.resolve("cells/mnist-L2-K2-short-run");
        CommandTest.Result part =
                execute(
                        "train",
                        "--z-dims",
                        "4,6",
                        "--channels",
                        "16",
                        "--batch-size",
                        "8",
                        "--steps",
                        "2",
                        "--lr",
                        "8e-5",
                        "--lr-schedule",
                        "released",
                        "--seed",
                        "1",
                        "--checkpoint-every",
                        "2",
                        "--iterations",
                        "2",
                        "--eval-images",
                        "8",
                        "--threads",
                        "2",
                        "--out",
                        cell.toString());
        assertEquals(0, part.code(), part.err());
        CommandTest.Result resumed =
                execute(
                        "table",
                        "--spec",
                        spec.toString(),
                        "--out",
                        cut.toString(),
                        "--threads",
                        "2");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(
                resumed.err().contains("mnist-L2-K2-short-run continues from iteration 2"),
                resumed.err());
        List<String> metrics = Files.readAllLines(cell.resolve("metrics.csv"));
        assertEquals(5, metrics.size(), "header and iterations 1 to 4, once each: " + metrics);
        assertEquals(
                Files.readAllLines(whole.resolve("table.csv")).get(1).split(",")[6],
                Files.readAllLines(cut.resolve("table.csv")).get(1).split(",")[6],
                "the resumed cell's MSE equals the uninterrupted one's");
    }

    @Test
    void tableBadSpecs(@TempDir Path dir) throws IOException {
        Path unknown =
                Files.writeString(
                        dir.resolve("a.json"),
                        TINY_SPEC.replace("\"layers\"", "\"layer_count\": 3, \"layers\""));
        assertBadInput(
                execute(
                        "table",
                        "--spec",
                        unknown.toString(),
                        "--out",
                        dir.resolve("o1").toString()),
                "unknown key 'layer_count'");
        Path budget =
                Files.writeString(
                        dir.resolve("b.json"),
                        TINY_SPEC.replace("\"seed\": 1", "\"seed\": 1, \"epochs\": 3"));
        assertBadInput(
                execute(
                        "table",
                        "--spec",
                        budget.toString(),
                        "--out",
                        dir.resolve("o2").toString()),
                "unknown key 'epochs'");
        Path method =
                Files.writeString(
                        dir.resolve("c.json"), TINY_SPEC.replace("[\"short-run\"]", "[\"glow\"]"));
        assertBadInput(
                execute(
                        "table",
                        "--spec",
                        method.toString(),
                        "--out",
                        dir.resolve("o3").toString()),
                "'glow' cannot be trained");
        Path fid =
                Files.writeString(
                        dir.resolve("d.json"),
                        TINY_SPEC.replace("\"seed\": 1", "\"seed\": 1, \"fid_samples\": 10"));
        assertBadInput(
                execute("table", "--spec", fid.toString(), "--out", dir.resolve("o4").toString()),
                "--inception");
        assertBadInput(
                execute(
                        "table",
                        "--spec",
                        fid.toString(),
                        "--out",
                        dir.resolve("o5").toString(),
                        "--inception",
                        fid64.toString()),
                "64 features");
        Path broken = Files.writeString(dir.resolve("e.json"), "{\"name\": ");
        assertBadInput(execute("table", "--spec", broken.toString()), "not valid JSON");
        assertFalse(Files.exists(dir.resolve("o1")), "nothing is written for a refused spec");
    }
}
