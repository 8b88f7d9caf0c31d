package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.Fuzz;

class MnistImagesTest {

    private static final Path SHARED = Path.of("../../shared/data/mnist");

    static byte[] idx(int magic, int[] dims, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + dataBytes);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) (magic == IdxFile.LABELS ? i * 7 % 10 : i * 7));
        }
        return b.array();
    }

    static void write(Path file, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream out =
                gzip
                        ? new GZIPOutputStream(Files.newOutputStream(file))
                        : Files.newOutputStream(file)) {
            out.write(bytes);
        }
    }

    /** A tiny MNIST directory: raw test images, gzipped test labels. */
    static Path tinyMnist(Path dir, int n, int side, int magic, int missingBytes)
            throws IOException {
        write(
                dir.resolve("t10k-images-idx3-ubyte"),
                truncate(idx(magic, new int[] {n, side, side}, n * side * side), missingBytes),
                false);
        write(
                dir.resolve("t10k-labels-idx1-ubyte.gz"),
                idx(IdxFile.LABELS, new int[] {n}, n),
                true);
        return dir;
    }

    private static byte[] truncate(byte[] b, int missing) {
        byte[] out = new byte[b.length - missing];
        System.arraycopy(b, 0, out, 0, out.length);
        return out;
    }

    @Test
    void readsRawAndGzipAndScalesToMinusOneOne(@TempDir Path dir) throws IOException {
        ImageDataset data =
                MnistImages.fromDirectory(tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0), Split.TEST, 28);
        assertEquals(3, data.imageCount());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = data.batch(manager, new int[] {2, 0});
            assertArrayEquals(new long[] {2, 1, 28, 28}, x.getShape().getShape());
            float[] v = x.toFloatArray();
            // image 0 pixel 0 is byte 0 -> -1; pixel 1 is byte 7 -> 7/255*2-1
            assertEquals(-1f, v[784], 1e-6f);
            assertEquals(7f / 255f * 2f - 1f, v[785], 1e-6f);
            assertEquals(7, data.label(1));
        }
    }

    @Test
    void resizesTo32ExactlyAsPyTorchDoes() throws IOException {
        String[] lines =
                new String(
                                MnistImagesTest.class
                                        .getResourceAsStream(
                                                "/fixtures/mnist_t10k_first2_bilinear32.txt")
                                        .readAllBytes())
                        .trim()
                        .split("\\s+");
        ImageDataset data = MnistImages.embedded(32);
        assertEquals(MnistImages.EMBEDDED_COUNT, data.imageCount());
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] v = data.batch(manager, new int[] {0, 1}).toFloatArray();
            assertEquals(lines.length, v.length);
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.parseFloat(lines[i]), v[i], 2e-6f, "pixel " + i);
            }
        }
    }

    @Test
    void fullSetFromSharedDataHasPublishedStatistics() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isDirectory(SHARED), "shared MNIST not present");
        ImageDataset train = MnistImages.fromDirectory(SHARED, Split.TRAIN, 28);
        assertEquals(60_000, train.imageCount());
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] all = java.util.stream.IntStream.range(0, 60_000).toArray();
            NDArray x = train.batch(manager, all).add(1f).div(2f);
            assertEquals(0.1307, x.mean().getFloat(), 1e-4);
        }
        int[] counts = new int[10];
        for (int i = 0; i < 60_000; i++) {
            counts[train.label(i)]++;
        }
        assertEquals(5923, counts[0]);
        assertEquals(6742, counts[1]);
    }

    @Test
    void missingDirectory(@TempDir Path dir) {
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> MnistImages.fromDirectory(dir.resolve("nope"), Split.TRAIN, 32));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void missingFile(@TempDir Path dir) {
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> MnistImages.fromDirectory(dir, Split.TRAIN, 32));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 28, IdxFile.IMAGES, 100);
        InputException e =
                assertThrows(
                        InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertEquals(
                dir.resolve("t10k-images-idx3-ubyte")
                        + " is damaged: it is truncated: 2252 bytes of data, its header declares"
                        + " 2352",
                e.getMessage());
    }

    @Test
    void truncatedGzip(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0);
        Path labels = dir.resolve("t10k-labels-idx1-ubyte.gz");
        byte[] gz = Files.readAllBytes(labels);
        Files.write(labels, truncate(gz, gz.length / 2));
        InputException e =
                assertThrows(
                        InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                labels + " is damaged: its gzip stream is corrupt or truncated ("),
                e.getMessage());
    }

    @Test
    void wrongMagic(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 28, IdxFile.LABELS, 0);
        InputException e =
                assertThrows(
                        InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertEquals(
                dir.resolve("t10k-images-idx3-ubyte")
                        + " is damaged: it has magic number 2049 (0x00000801), expected 2051 for"
                        + " IDX images",
                e.getMessage());
    }

    @Test
    void wrongDimensions(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 30, IdxFile.IMAGES, 0);
        InputException e =
                assertThrows(
                        InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertTrue(
                e.getMessage().contains("30x30") && e.getMessage().contains("expected 28x28"),
                e.getMessage());
    }

    @Test
    void sliceSharesImages() {
        ImageDataset all = MnistImages.embedded(32);
        ImageDataset tail = all.slice(9_000, 10_000);
        assertEquals(1_000, tail.imageCount());
        assertEquals(all.label(9_005), tail.label(5));
        try (NDManager manager = NDManager.newBaseManager()) {
            assertArrayEquals(
                    all.batch(manager, new int[] {9_005}).toFloatArray(),
                    tail.batch(manager, new int[] {5}).toFloatArray());
        }
    }

    /** One class of a slice, copied in order. */
    @Test
    void withLabelKeepsOneClassInOrder() {
        ImageDataset tail = MnistImages.embedded(32).slice(9_000, 10_000);
        java.util.List<Integer> sevens = new java.util.ArrayList<>();
        for (int i = 0; i < tail.imageCount(); i++) {
            if (tail.label(i) == 7) {
                sevens.add(i);
            }
        }
        ImageDataset only = tail.withLabel(7);
        assertEquals(sevens.size(), only.imageCount());
        assertTrue(sevens.size() > 50 && sevens.size() < 200, sevens.size() + " sevens");
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int j : new int[] {0, sevens.size() / 2, sevens.size() - 1}) {
                assertEquals(7, only.label(j));
                assertArrayEquals(
                        tail.batch(manager, new int[] {sevens.get(j)}).toFloatArray(),
                        only.batch(manager, new int[] {j}).toFloatArray());
            }
        }
        assertEquals(0, tail.withLabel(11).imageCount());
    }

    @Test
    void trailingBytesAreDroppedWithAWarningCountingThem(@TempDir Path dir) throws Exception {
        tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0);
        Path images = dir.resolve("t10k-images-idx3-ubyte");
        Files.write(images, new byte[5], java.nio.file.StandardOpenOption.APPEND);
        ImageDataset[] data = new ImageDataset[1];
        String log =
                StandardError.of(() -> data[0] = MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertEquals(3, data[0].imageCount());
        assertTrue(
                log.contains(
                        images
                                + " has 5 bytes after the 2352 bytes of data its header declares;"
                                + " they are ignored"),
                log);
        Path labels = dir.resolve("t10k-labels-idx1-ubyte.gz");
        byte[] withExtra = Arrays.copyOf(idx(IdxFile.LABELS, new int[] {3}, 3), 4 + 4 + 3 + 7);
        write(labels, withExtra, true);
        log = StandardError.of(() -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertTrue(
                log.contains(labels + " has 7 bytes after the 3 bytes of data its header declares"),
                log);
    }

    @Test
    void aGzipBombIsRefusedQuicklyWithOneLine(@TempDir Path dir) throws Exception {
        tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0);
        Path labels = dir.resolve("t10k-labels-idx1-ubyte.gz");
        // three labels declared, 1.3 GB inflated: zeros compress about 1000 to 1
        Deflater fast = new Deflater(Deflater.BEST_SPEED, true);
        try (OutputStream out =
                new GZIPOutputStream(Files.newOutputStream(labels), 1 << 16) {
                    {
                        def.end();
                        def = fast;
                    }
                }) {
            out.write(idx(IdxFile.LABELS, new int[] {3}, 3));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1300; i++) {
                out.write(zeros);
            }
        }
        long start = System.nanoTime();
        DamagedFileException e =
                assertThrows(
                        DamagedFileException.class,
                        () -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertTrue((System.nanoTime() - start) / 1e9 < 1.0, "refused in under a second");
        assertEquals(
                labels
                        + " is damaged: it inflates to more than 65536 bytes beyond the 3 bytes of"
                        + " data its header declares",
                e.getMessage());
        // a header that declares 1.3 GB is refused before anything is inflated
        write(labels, idx(IdxFile.LABELS, new int[] {1_300_000_000}, 0), true);
        e =
                assertThrows(
                        DamagedFileException.class,
                        () -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertEquals(
                labels + " is damaged: item count 1300000000 is outside [0, 1048576]",
                e.getMessage());
        write(labels, idx(IdxFile.LABELS, new int[] {1_000_000}, 0), true);
        e =
                assertThrows(
                        DamagedFileException.class,
                        () -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                labels
                                        + " is damaged: its header declares 1000000 bytes of data,"
                                        + " more than a gzip file of "),
                e.getMessage());
    }

    @Test
    void dimensionsAreCheckedAgainstTheFileBeforeAllocation(@TempDir Path dir) throws IOException {
        Path images = dir.resolve("t10k-images-idx3-ubyte");
        write(images, idx(IdxFile.IMAGES, new int[] {1_000_000, 28, 28}, 784), false);
        write(
                dir.resolve("t10k-labels-idx1-ubyte.gz"),
                idx(IdxFile.LABELS, new int[] {1}, 1),
                true);
        DamagedFileException e =
                assertThrows(
                        DamagedFileException.class,
                        () -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertEquals(
                images
                        + " is damaged: it is truncated: 784 bytes of data, its header declares"
                        + " 784000000",
                e.getMessage());
        write(images, idx(IdxFile.IMAGES, new int[] {1, 28, -1}, 784), false);
        e =
                assertThrows(
                        DamagedFileException.class,
                        () -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertEquals(
                images + " is damaged: dimension 3 4294967295 is outside [1, 1024]",
                e.getMessage());
    }

    @Test
    void aLabelAboveNineIsRefusedNamingItsIndex(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0);
        Path labels = dir.resolve("t10k-labels-idx1-ubyte.gz");
        byte[] bytes = idx(IdxFile.LABELS, new int[] {3}, 3);
        bytes[8 + 2] = 12;
        write(labels, bytes, true);
        InputException e =
                assertThrows(
                        InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertEquals(labels + ": label 12 at index 2 is not a digit 0..9", e.getMessage());
    }

    @Test
    void fuzzedIdxFilesAreReadOrRefusedCleanly(@TempDir Path dir) throws Exception {
        // images and labels read together, so that a mutant reaches the label and shape checks too
        tinyMnist(dir, 4, 28, IdxFile.IMAGES, 0);
        Path images = dir.resolve("t10k-images-idx3-ubyte");
        byte[] raw = Files.readAllBytes(images);
        Fuzz.Report rawReport =
                Fuzz.of("IDX raw", raw, 21)
                        .mutants(2500)
                        .run(images, f -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertTrue(rawReport.ok(), rawReport.details());
        Files.write(images, raw);
        Path labels = dir.resolve("t10k-labels-idx1-ubyte.gz");
        byte[] gz = Files.readAllBytes(labels);
        Fuzz.Report gzReport =
                Fuzz.of("IDX gzip", gz, 22)
                        .mutants(2500)
                        .run(labels, f -> MnistImages.fromDirectory(dir, Split.TEST, 28));
        assertTrue(gzReport.ok(), gzReport.details());
        assertTrue(rawReport.clean() > 0 && gzReport.clean() > 0, "mutants were refused");
    }
}
