package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.Fuzz;
import org.shortrun.io.SealedFile;

/** CelebA on folders and zips of JPEGs written here, with a partition file. */
class CelebaImagesTest {

    /**
     * Eight 178 x 218 images; image k is a flat colour with red = 20k. Partition: 1-5 train, 6
     * validation, 7-8 test.
     */
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
        ImageDataset train =
                CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")).dataset();
        assertEquals(5, train.imageCount());
        assertArrayEquals(new long[] {3, 32, 32}, train.imageShape().getShape());
        for (int i = 0; i < 5; i++) {
            assertEquals(
                    20f * (i + 1), red(train, i), 3f, "train image " + i + " is 00000" + (i + 1));
        }
        ImageDataset test =
                CelebaImages.load(dir, Split.TEST, 64, 0, dir.resolve("cache")).dataset();
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
        ImageDataset first =
                CelebaImages.load(dir, Split.TRAIN, 32, 3, dir.resolve("cache")).dataset();
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
            String[] expected =
                    Files.readString(fixtures.resolve("pattern_" + size + ".txt"))
                            .trim()
                            .split("\\s+");
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
            assertTrue(
                    sum / out.length < 1.0,
                    "size " + size + ": mean difference " + sum / out.length);
        }
    }

    @Test
    void zipGivesTheSameImagesAsTheFolder(@TempDir Path dir) throws IOException {
        Path folderDir = writeCeleba(dir.resolve("folder"));
        Path zipDir = Files.createDirectories(dir.resolve("zip"));
        try (ZipOutputStream zip =
                new ZipOutputStream(Files.newOutputStream(zipDir.resolve(CelebaImages.ZIP)))) {
            try (var files = Files.list(folderDir.resolve(CelebaImages.FOLDER))) {
                for (Path p : files.sorted().toList()) {
                    zip.putNextEntry(new ZipEntry(CelebaImages.FOLDER + "/" + p.getFileName()));
                    zip.write(Files.readAllBytes(p));
                    zip.closeEntry();
                }
            }
        }
        Files.copy(
                folderDir.resolve(CelebaImages.PARTITION), zipDir.resolve(CelebaImages.PARTITION));
        ImageDataset a =
                CelebaImages.load(folderDir, Split.TRAIN, 32, 0, dir.resolve("cache")).dataset();
        ImageDataset b =
                CelebaImages.load(zipDir, Split.TRAIN, 32, 0, dir.resolve("cache")).dataset();
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] all = {0, 1, 2, 3, 4};
            assertArrayEquals(
                    a.batch(manager, all).toFloatArray(), b.batch(manager, all).toFloatArray());
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
            assertArrayEquals(
                    first.dataset().batch(manager, all).toFloatArray(),
                    second.dataset().batch(manager, all).toFloatArray());
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
        Files.copy(
                dir.resolve(CelebaImages.FOLDER).resolve("000001.jpg"),
                dir.resolve(CelebaImages.FOLDER).resolve("000009.jpg"));
        Files.writeString(
                dir.resolve(CelebaImages.PARTITION),
                "000009.jpg 0\n",
                StandardCharsets.US_ASCII,
                java.nio.file.StandardOpenOption.APPEND);
        CelebaImages.Loaded changed = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache);
        assertFalse(changed.fromCache());
        assertEquals(6, changed.dataset().imageCount());
        // other preprocessing (size) is another key
        assertFalse(CelebaImages.load(dir, Split.TRAIN, 64, 0, cache).fromCache());
    }

    @Test
    void corruptJpegsAreSkippedAndCounted(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        try (OutputStream out =
                Files.newOutputStream(dir.resolve(CelebaImages.FOLDER).resolve("000003.jpg"))) {
            out.write("this is not a JPEG".getBytes(StandardCharsets.US_ASCII));
        }
        CelebaImages.Loaded loaded =
                CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache"));
        assertEquals(1, loaded.skipped());
        assertEquals(4, loaded.dataset().imageCount());
        assertEquals(80f, red(loaded.dataset(), 2), 3f, "000004 follows 000002");
    }

    @Test
    void missingPartitionFile(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        Files.delete(dir.resolve(CelebaImages.PARTITION));
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertTrue(e.getMessage().contains(CelebaImages.PARTITION), e.getMessage());
    }

    @Test
    void directoryWithoutImages(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve(CelebaImages.FOLDER));
        Files.writeString(dir.resolve(CelebaImages.PARTITION), "000001.jpg 0\n");
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertTrue(e.getMessage().contains("has no images"), e.getMessage());
        Files.delete(dir.resolve(CelebaImages.FOLDER));
        e =
                assertThrows(
                        InputException.class,
                        () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertTrue(e.getMessage().contains("neither"), e.getMessage());
    }

    @Test
    void malformedPartitionLine(@TempDir Path dir) throws IOException {
        writeCeleba(dir);
        Files.writeString(dir.resolve(CelebaImages.PARTITION), "000001.jpg 0\n000002.jpg train\n");
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertEquals(
                dir.resolve(CelebaImages.PARTITION)
                        + ":2: expected 'NAME.jpg 0|1|2', got '000002.jpg train'",
                e.getMessage());
    }

    private static InputException refusedPartition(Path dir, String text) throws IOException {
        Files.writeString(dir.resolve(CelebaImages.PARTITION), text, StandardCharsets.ISO_8859_1);
        return assertThrows(
                InputException.class,
                () -> CelebaImages.load(dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
    }

    @Test
    void aCutMisspeltOrRepeatedPartitionLineIsRefusedWithFileAndLine(@TempDir Path dir)
            throws IOException {
        writeCeleba(dir);
        String whole = Files.readString(dir.resolve(CelebaImages.PARTITION));
        Path file = dir.resolve(CelebaImages.PARTITION);
        assertEquals(
                file + ":8: expected 'NAME.jpg 0|1|2', got '000008.j'",
                refusedPartition(dir, whole.substring(0, whole.length() - 5)).getMessage());
        assertEquals(
                file + ":3: expected 'NAME.jpg 0|1|2', got '000003.jpg 3'",
                refusedPartition(dir, whole.replace("000003.jpg 0", "000003.jpg 3")).getMessage());
        assertEquals(
                file + ":3: expected 'NAME.jpg 0|1|2', got '000003.gif 0'",
                refusedPartition(dir, whole.replace("000003.jpg", "000003.gif")).getMessage());
        assertEquals(
                file + ":3: expected 'NAME.jpg 0|1|2', got '000003.jpg 0 1'",
                refusedPartition(dir, whole.replace("000003.jpg 0", "000003.jpg 0 1"))
                        .getMessage());
        assertEquals(
                file + ":9: 000001.jpg is listed twice",
                refusedPartition(dir, whole + "000001.jpg 2\n").getMessage());
        assertEquals(file + " lists no images", refusedPartition(dir, "\n\n").getMessage());
    }

    @Test
    void imagesMissingFromThePartitionFileOrFromTheFolderAreCountedInWarnings(@TempDir Path dir)
            throws Exception {
        writeCeleba(dir);
        Path folder = dir.resolve(CelebaImages.FOLDER);
        String whole = Files.readString(dir.resolve(CelebaImages.PARTITION));
        // cut at a line boundary: 000007 and 000008 belong to no split
        Files.writeString(
                dir.resolve(CelebaImages.PARTITION),
                whole.substring(0, whole.indexOf("000007.jpg")));
        CelebaImages.Loaded[] loaded = new CelebaImages.Loaded[1];
        String log =
                StandardError.of(
                        () ->
                                loaded[0] =
                                        CelebaImages.load(
                                                dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertEquals(5, loaded[0].dataset().imageCount());
        assertTrue(
                log.contains(
                        "2 image(s) in "
                                + folder
                                + " are not listed in list_eval_partition.txt and belong to no"
                                + " split: 000007.jpg, 000008.jpg"),
                log);
        // listed but absent
        Files.writeString(dir.resolve(CelebaImages.PARTITION), whole);
        Files.delete(folder.resolve("000002.jpg"));
        log =
                StandardError.of(
                        () ->
                                loaded[0] =
                                        CelebaImages.load(
                                                dir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertEquals(4, loaded[0].dataset().imageCount());
        assertTrue(
                log.contains(
                        "1 image(s) of the train split listed in list_eval_partition.txt are not in"
                                + " "
                                + folder
                                + ": 000002.jpg"),
                log);
    }

    /**
     * A zip of the folder's images, stored (not deflated) so that a test can change an image's
     * bytes in place.
     */
    static Path storedZip(Path folder, Path zipFile) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(zipFile));
                var files = Files.list(folder)) {
            for (Path p : files.sorted().toList()) {
                byte[] bytes = Files.readAllBytes(p);
                ZipEntry entry = new ZipEntry(CelebaImages.FOLDER + "/" + p.getFileName());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(bytes.length);
                CRC32 crc = new CRC32();
                crc.update(bytes);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(bytes);
                zip.closeEntry();
            }
        }
        return zipFile;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("not found");
    }

    @Test
    void zipEntriesFailingTheirCrcAreSkippedAndCounted(@TempDir Path dir) throws Exception {
        Path source = writeCeleba(dir.resolve("source"));
        Path zipDir = Files.createDirectories(dir.resolve("zip"));
        Files.copy(source.resolve(CelebaImages.PARTITION), zipDir.resolve(CelebaImages.PARTITION));
        Path zip = storedZip(source.resolve(CelebaImages.FOLDER), zipDir.resolve(CelebaImages.ZIP));
        byte[] bytes = Files.readAllBytes(zip);
        byte[] image =
                Files.readAllBytes(source.resolve(CelebaImages.FOLDER).resolve("000003.jpg"));
        // a byte in the middle of the image data: the JPEG still decodes, only the CRC-32 tells
        bytes[indexOf(bytes, image) + image.length / 2] ^= 0x10;
        Files.write(zip, bytes);
        CelebaImages.Loaded[] loaded = new CelebaImages.Loaded[1];
        String log =
                StandardError.of(
                        () ->
                                loaded[0] =
                                        CelebaImages.load(
                                                zipDir, Split.TRAIN, 32, 0, dir.resolve("cache")));
        assertEquals(1, loaded[0].skipped());
        assertEquals(4, loaded[0].dataset().imageCount());
        assertEquals(80f, red(loaded[0].dataset(), 2), 3f, "000004 follows 000002");
        assertTrue(
                log.contains(
                        "skipped 1 image(s) of 5 in "
                                + zip
                                + " whose CRC-32 or size does not match the archive's (the zip is"
                                + " damaged): 000003.jpg"),
                log);
    }

    @Test
    void anOldForeignOrDamagedCacheIsRebuiltWithAWarning(@TempDir Path dir) throws Exception {
        writeCeleba(dir);
        Path cache = dir.resolve("cache");
        Path file = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache).cacheFile();
        // the unsealed format before SealedFile: magic "SRIMG002", key, dimensions, pixels, CRC-32
        try (var out = new java.io.DataOutputStream(Files.newOutputStream(file))) {
            out.writeLong(0x5352494d47303032L);
            out.writeUTF("celeba");
            out.writeInt(1);
            out.writeInt(3);
            out.writeInt(32);
            out.write(new byte[3 * 32 * 32]);
            out.writeLong(0);
        }
        CelebaImages.Loaded[] loaded = new CelebaImages.Loaded[1];
        String log =
                StandardError.of(
                        () -> loaded[0] = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache));
        assertFalse(loaded[0].fromCache());
        assertEquals(5, loaded[0].dataset().imageCount());
        assertTrue(
                log.contains(
                        "cache "
                                + file
                                + " is damaged: its SHA-256 does not match its contents (damaged or"
                                + " truncated); rebuilding it"),
                log);
        assertTrue(
                CelebaImages.load(dir, Split.TRAIN, 32, 0, cache).fromCache(),
                "the rebuilt cache is read");
        SealedFile.write(file, "FID statistics", 1, out -> out.writeInt(7));
        log = StandardError.of(() -> loaded[0] = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache));
        assertFalse(loaded[0].fromCache());
        assertTrue(
                log.contains(
                        "cache "
                                + file
                                + " is damaged: it holds FID statistics, not image cache;"
                                + " rebuilding it"),
                log);
        SealedFile.write(file, ImageCache.KIND, ImageCache.FORMAT + 1, out -> out.writeInt(7));
        log = StandardError.of(() -> loaded[0] = CelebaImages.load(dir, Split.TRAIN, 32, 0, cache));
        assertTrue(
                log.contains(
                        "is damaged: it is image cache format 2, this build reads format 1;"
                                + " rebuilding it"),
                log);
        // a sealed cache whose dimensions claim more than it holds
        SealedFile.write(
                file,
                ImageCache.KIND,
                ImageCache.FORMAT,
                out -> {
                    out.writeUTF("key");
                    out.writeInt(1 << 24);
                    out.writeInt(3);
                    out.writeInt(64);
                });
        DamagedFileException e =
                assertThrows(DamagedFileException.class, () -> ImageCache.read(file, "key"));
        assertEquals(
                file + " is damaged: pixels need 206158430208 bytes but only 0 remain",
                e.getMessage());
    }

    @Test
    void fuzzedCachesAreAllRefused(@TempDir Path dir) throws Exception {
        byte[] pixels = new byte[3 * 3 * 8 * 8];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 31);
        }
        Path cacheFile = dir.resolve("cache.bin");
        ImageCache.store(cacheFile, "celeba|key", new ImageCache.Images(pixels, 3, 3, 8));
        Fuzz.Report cache =
                Fuzz.of("CelebA image cache", Files.readAllBytes(cacheFile), 41)
                        .mutants(3000)
                        .run(cacheFile, f -> ImageCache.read(f, "celeba|key"));
        assertTrue(cache.ok(), cache.details());
        assertEquals(0, cache.accepted(), "a sealed file accepts no change: " + cache.line());
        assertTrue(cache.clean() > 0, cache.line());
    }

    /** Four 20 x 24 JPEGs, three in the training partition. */
    private static Path smallCeleba(Path dir) throws IOException {
        Path source = Files.createDirectories(dir.resolve("source"));
        Path folder = Files.createDirectories(source.resolve(CelebaImages.FOLDER));
        StringBuilder partition = new StringBuilder();
        for (int k = 1; k <= 4; k++) {
            BufferedImage img = new BufferedImage(20, 24, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 24; y++) {
                for (int x = 0; x < 20; x++) {
                    img.setRGB(x, y, (37 * k * x + 11 * y) & 0xffffff);
                }
            }
            ImageIO.write(img, "jpg", folder.resolve(String.format("%06d.jpg", k)).toFile());
            partition.append(String.format("%06d.jpg %d%n", k, k <= 3 ? 0 : 2));
        }
        Files.writeString(source.resolve(CelebaImages.PARTITION), partition.toString());
        return source;
    }

    @Test
    void fuzzedPartitionFilesAreReadOrRefusedCleanly(@TempDir Path dir) throws Exception {
        Path partitionFile = smallCeleba(dir).resolve(CelebaImages.PARTITION);
        Fuzz.Report lines =
                Fuzz.of("CelebA partition file", Files.readAllBytes(partitionFile), 42)
                        .mutants(3000)
                        .run(partitionFile, CelebaImages::readPartition);
        assertTrue(lines.ok(), lines.details());
        assertTrue(lines.clean() > 0, lines.line());
    }

    @Test
    void fuzzedZipsAreReadOrRefusedCleanly(@TempDir Path dir) throws Exception {
        Path source = smallCeleba(dir);
        Path folder = source.resolve(CelebaImages.FOLDER);
        Path partitionFile = source.resolve(CelebaImages.PARTITION);
        Path zipDir = Files.createDirectories(dir.resolve("zip"));
        Files.copy(partitionFile, zipDir.resolve(CelebaImages.PARTITION));
        Path zip = storedZip(folder, zipDir.resolve(CelebaImages.ZIP));
        Path caches = dir.resolve("zip-caches");
        Fuzz.Report zips =
                Fuzz.of("CelebA zip", Files.readAllBytes(zip), 43)
                        .mutants(800)
                        .run(
                                zip,
                                f -> {
                                    try {
                                        CelebaImages.load(zipDir, Split.TRAIN, 32, 0, caches);
                                    } finally {
                                        // a mutant of the same size and time would otherwise be
                                        // served from the last one's cache
                                        try (var files = Files.walk(caches)) {
                                            for (Path p :
                                                    files.sorted(Comparator.reverseOrder())
                                                            .toList()) {
                                                Files.delete(p);
                                            }
                                        } catch (java.nio.file.NoSuchFileException e) {
                                            // nothing cached
                                        }
                                    }
                                });
        assertTrue(zips.ok(), zips.details());
        assertTrue(zips.clean() > 0, zips.line());
    }
}
