package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import javax.imageio.ImageIO;

/** CelebA on folders and zips of JPEGs written here, with a partition file. */
class CelebaImagesTest {

    /** Eight 178 x 218 images; image k is a flat colour with red = 20k. Partition: 1-5 train, 6 validation, 7-8 test. */
    static Path writeCeleba(Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(CelebaImages.FOLDER));
        for (int k : new int[] {5, 2, 8, 1, 7, 3, 6, 4}) {
            BufferedImage img = new BufferedImage(178, 218, BufferedImage.TYPE_INT_RGB);
            int rgb = (20 * k) << 16 | 100 << 8 | (200 - 10 * k);
            for (int y = 0; y < 218; y++) {
                for (int x = 0; x < 178; x++) {
                    img.setRGB(x, y, rgb);
                }
            }
            ImageIO.write(img, "jpg", folder.resolve(String.format("%06d.jpg", k)).toFile());
        }
        StringBuilder partition = new StringBuilder();
        for (int k = 1; k <= 8; k++) {
            partition.append(String.format("%06d.jpg %d%n", k, k <= 5 ? 0 : k == 6 ? 1 : 2));
        }
        Files.writeString(dir.resolve(CelebaImages.PARTITION), partition.toString());
        return dir;
    }

    static float red(ImageDataset data, int index) {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] v = data.batch(manager, new int[] {index}).toFloatArray();
            return (v[v.length / 6] + 1f) / 2f * 255f;
        }
    }

    @Test
    void splitsInSortedOrderShapesAndRange(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        ImageDataset train = CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")).dataset();
        assertEquals(5, train.imageCount());
        assertArrayEquals(new long[] {3, 32, 32}, train.imageShape().getShape());
        for (int i = 0; i < 5; i++) {
            assertEquals(20f * (i + 1), red(train, i), 3f, "train image " + i + " is 00000" + (i + 1));
        }
        ImageDataset test = CelebaImages.load(dir, Split.TEST, 64, 0, dir.resolve("cache")).dataset();
        assertEquals(2, test.imageCount());
        assertArrayEquals(new long[] {3, 64, 64}, test.imageShape().getShape());
        assertEquals(140f, red(test, 0), 3f);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] v = test.batch(manager, new int[] {0, 1}).toFloatArray();
            for (float f : v) {
                assertTrue(f >= -1f && f <= 1f);
            }
        }
    }

    @Test
    void firstNImagesAsTheReleasedScript(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        ImageDataset first = CelebaImages.load(dir, Split.TRAIN, 32, 3, dir.resolve("cache")).dataset();
        assertEquals(3, first.imageCount());
        assertEquals(60f, red(first, 2), 3f);
    }

    @Test
    void resizeAndCropMatchTorchvision() throws Exception {
        Path fixtures = Path.of(CelebaImagesTest.class.getResource("/fixtures/celeba").toURI());
        BufferedImage img = ImageIO.read(fixtures.resolve("pattern.jpg").toFile());
        for (int size : new int[] {32, 64}) {
            byte[] out = new byte[3 * size * size];
            ResizeCrop.apply(img.getRGB(0, 0, 178, 218, null, 0, 178), 178, 218, size, out, 0);
            String[] expected = Files.readString(fixtures.resolve("pattern_" + size + ".txt")).trim().split("\\s+");
            assertEquals(expected.length, out.length);
            double worst = 0;
            double sum = 0;
            for (int i = 0; i < out.length; i++) {
                double d = Math.abs((out[i] & 0xff) - Integer.parseInt(expected[i]));
                worst = Math.max(worst, d);
                sum += d;
            }
            // PIL and ImageIO decode JPEG slightly differently; the filter and crop must agree
            assertTrue(worst <= 4, "size " + size + ": worst difference " + worst + " levels");
            assertTrue(sum / out.length < 1.0, "size " + size + ": mean difference " + sum / out.length);
        }
    }

    @Test
    void zipGivesTheSameImagesAsTheFolder(@TempDir Path dir) throws IOException {
        Path folderDir = writeCeleba(dir.resolve("folder"));
        Path zipDir = Files.createDirectories(dir.resolve("zip"));
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(zipDir.resolve(CelebaImages.ZIP)))) {
            try (var files = Files.list(folderDir.resolve(CelebaImages.FOLDER))) {
                for (Path p : files.sorted().toList()) {
                    zip.putNextEntry(new ZipEntry(CelebaImages.FOLDER + "/" + p.getFileName()));
                    zip.write(Files.readAllBytes(p));
                    zip.closeEntry();
                }
            }
        }
        Files.copy(folderDir.resolve(CelebaImages.PARTITION), zipDir.resolve(CelebaImages.PARTITION));
        ImageDataset a = CelebaImages.load(folderDir, Split.TRAIN, 32, 0, dir.resolve("cache")).dataset();
        ImageDataset b = CelebaImages.load(zipDir, Split.TRAIN, 32, 0, dir.resolve("cache")).dataset();
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] all = {0, 1, 2, 3, 4};
            assertArrayEquals(a.batch(manager, all).toFloatArray(), b.batch(manager, all).toFloatArray());
        }
    }

    @Test
    void cacheIsUsedAndStaleOrTruncatedCachesAreRebuilt(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        Path cache = dir.resolve("cache");
        CelebaImages.Loaded first = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache);
        assertFalse(first.fromCache());
        assertTrue(Files.isRegularFile(first.cacheFile()));
        CelebaImages.Loaded second = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache);
        assertTrue(second.fromCache());
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] all = {0, 1, 2, 3, 4};
            assertArrayEquals(first.dataset().batch(manager, all).toFloatArray(), second.dataset().batch(manager, all).toFloatArray());
        }
        // truncated
        byte[] bytes = Files.readAllBytes(second.cacheFile());
        Files.write(second.cacheFile(), Arrays.copyOf(bytes, bytes.length - 100));
        CelebaImages.Loaded rebuilt = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache);
        assertFalse(rebuilt.fromCache());
        assertEquals(5, rebuilt.dataset().imageCount());
        // damaged in the middle, same length
        bytes = Files.readAllBytes(rebuilt.cacheFile());
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(rebuilt.cacheFile(), bytes);
        assertFalse(CelebaImages.load(dir, Split.TRAIN, 32, 0, cache).fromCache());
        // stale: the images changed, so the key and the file differ
        Files.copy(dir.resolve(CelebaImages.FOLDER).resolve("000001.jpg"), dir.resolve(CelebaImages.FOLDER).resolve("000009.jpg"));
        Files.writeString(dir.resolve(CelebaImages.PARTITION), "000009.jpg 0\n", StandardCharsets.US_ASCII, java.nio.file.StandardOpenOption.APPEND);
        CelebaImages.Loaded changed = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache);
        assertFalse(changed.fromCache());
        assertEquals(6, changed.dataset().imageCount());
        // other preprocessing (size) is another key
        assertFalse(CelebaImages.load(dir, Split.TRAIN, 64, 0, cache).fromCache());
    }

    @Test
    void corruptJpegsAreSkippedAndCounted(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        try (OutputStream out = Files.newOutputStream(dir.resolve(CelebaImages.FOLDER).resolve("000003.jpg"))) {
            out.write("this is not a JPEG".getBytes(StandardCharsets.US_ASCII));
        }
        CelebaImages.Loaded loaded = CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache"));
        assertEquals(1, loaded.skipped());
        assertEquals(4, loaded.dataset().imageCount());
        assertEquals(80f, red(loaded.dataset(), 2), 3f, "000004 follows 000002");
    }

    @Test
    void missingPartitionFile(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        Files.delete(dir.resolve(CelebaImages.PARTITION));
        InputException e = assertThrows(InputException.class, () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertTrue(e.getMessage().contains(CelebaImages.PARTITION), e.getMessage());
    }

    @Test
    void directoryWithoutImages(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve(CelebaImages.FOLDER));
        Files.writeString(dir.resolve(CelebaImages.PARTITION), "000001.jpg 0\n");
        InputException e = assertThrows(InputException.class, () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertTrue(e.getMessage().contains("has no images"), e.getMessage());
        Files.delete(dir.resolve(CelebaImages.FOLDER));
        e = assertThrows(InputException.class, () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertTrue(e.getMessage().contains("neither"), e.getMessage());
    }

    @Test
    void malformedPartitionLine(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        Files.writeString(dir.resolve(CelebaImages.PARTITION), "000001.jpg 0\n000002.jpg train\n");
        InputException e = assertThrows(InputException.class, () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }
}
