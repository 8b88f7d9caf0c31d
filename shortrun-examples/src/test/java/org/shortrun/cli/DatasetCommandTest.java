package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.assertBadInput;
import static org.shortrun.cli.CommandTest.concat;
import static org.shortrun.cli.CommandTest.execute;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.data.CelebaImages;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;

/** `train --dataset svhn|celeba` end to end, on small files in the real formats. */
class DatasetCommandTest {

    static final String[] TINY = {
        "--z-dims",
        "4,6",
        "--channels",
        "16",
        "--batch-size",
        "4",
        "--steps",
        "2",
        "--threads",
        "2",
        "--iterations",
        "2",
        "--eval-images",
        "4"
    };

    static Path svhn(Path dir) throws IOException {
        Random random = new Random(1);
        for (String name : new String[] {"train_32x32.mat", "test_32x32.mat"}) {
            int n = 8;
            Matrix x = Mat5.newMatrix(new int[] {32, 32, 3, n}, MatlabType.UInt8);
            Matrix y = Mat5.newMatrix(n, 1);
            for (int i = 0; i < x.getNumElements(); i++) {
                x.setByte(i, (byte) random.nextInt(256));
            }
            for (int i = 0; i < n; i++) {
                y.setDouble(i, 1 + random.nextInt(10));
            }
            Mat5.writeToFile(
                    Mat5.newMatFile().addArray("X", x).addArray("y", y),
                    dir.resolve(name).toFile());
        }
        return dir;
    }

    static Path celeba(Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(CelebaImages.FOLDER));
        Random random = new Random(2);
        StringBuilder partition = new StringBuilder();
        for (int k = 1; k <= 10; k++) {
            BufferedImage img = new BufferedImage(178, 218, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 218; y++) {
                for (int x = 0; x < 178; x++) {
                    img.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            String name = String.format("%06d.jpg", k);
            ImageIO.write(img, "jpg", folder.resolve(name).toFile());
            partition.append(name).append(k <= 7 ? " 0\n" : " 2\n");
        }
        Files.writeString(dir.resolve(CelebaImages.PARTITION), partition.toString());
        return dir;
    }

    static void assertTrained(CommandTest.Result r, Path out) throws IOException {
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"mse\":"), r.out());
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size());
        assertTrue(Files.isRegularFile(out.resolve("samples.png")));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint/state.json")));
    }

    @Test
    void trainsOnSvhn(@TempDir Path dir) throws IOException {
        Path data = svhn(Files.createDirectories(dir.resolve("svhn")));
        Path out = dir.resolve("run");
        assertTrained(
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--dataset",
                                "svhn",
                                "--data-dir",
                                data.toString(),
                                "--out",
                                out.toString())),
                out);
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"imageChannels\": 3"));
        CommandTest.Result r =
                execute(
                        "reconstruct",
                        "--checkpoint",
                        out.toString(),
                        "--dataset",
                        "svhn",
                        "--data-dir",
                        data.toString(),
                        "--count",
                        "4",
                        "--out",
                        dir.resolve("r.png").toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void trainsOnCelebaAt32And64(@TempDir Path dir) throws IOException {
        Path data = celeba(Files.createDirectories(dir.resolve("celeba")));
        for (String size : new String[] {"32", "64"}) {
            Path out = dir.resolve("run" + size);
            CommandTest.Result r =
                    execute(
                            concat(
                                    concat(new String[] {"train"}, TINY),
                                    "--dataset",
                                    "celeba",
                                    "--data-dir",
                                    data.toString(),
                                    "--image-size",
                                    size,
                                    "--cache-dir",
                                    dir.resolve("cache").toString(),
                                    "--out",
                                    out.toString()));
            assertTrained(r, out);
            assertTrue(
                    Files.readString(out.resolve("config.json"))
                            .contains("\"imageSize\": " + size));
        }
        CommandTest.Result p =
                execute(
                        "prepare",
                        "--dataset",
                        "celeba",
                        "--data-dir",
                        data.toString(),
                        "--cache-dir",
                        dir.resolve("cache").toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("\"from_cache\":true"), p.out());
    }

    @Test
    void datasetsWithoutADirectoryOrWithAnUnknownName(@TempDir Path dir) {
        assertBadInput(
                execute("train", "--dataset", "svhn", "--out", dir.resolve("o").toString()),
                "needs --data-dir");
        assertBadInput(
                execute("train", "--dataset", "cifar", "--out", dir.resolve("o").toString()),
                "cifar");
        assertBadInput(
                execute("train", "--image-size", "48", "--out", dir.resolve("o").toString()),
                "image size must be 32 or 64");
    }

    @Test
    void lowerCaseEnumOptions(@TempDir Path dir) {
        CommandTest.Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, TINY),
                                "--lr-schedule",
                                "paper",
                                "--sd-head",
                                "softplus",
                                "--out",
                                dir.resolve("o").toString()));
        assertEquals(0, r.code(), r.err());
    }
}
