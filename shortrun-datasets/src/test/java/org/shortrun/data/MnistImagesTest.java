package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

class MnistImagesTest {

    private static final Path SHARED = Path.of("../../shared/data/mnist");

    static byte[] idx(int magic, int[] dims, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + dataBytes);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) (i * 7));
        }
        return b.array();
    }

    static void write(Path file, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(bytes);
        }
    }

    /** A tiny MNIST directory: raw test images, gzipped test labels. */
    static Path tinyMnist(Path dir, int n, int side, int magic, int missingBytes) throws IOException {
        write(dir.resolve("t10k-images-idx3-ubyte"), truncate(idx(magic, new int[] {n, side, side}, n * side * side), missingBytes), false);
        write(dir.resolve("t10k-labels-idx1-ubyte.gz"), idx(IdxFile.LABELS, new int[] {n}, n), true);
        return dir;
    }

    private static byte[] truncate(byte[] b, int missing) {
        byte[] out = new byte[b.length - missing];
        System.arraycopy(b, 0, out, 0, out.length);
        return out;
    }

    @Test
    void readsRawAndGzipAndScalesToMinusOneOne(@TempDir Path dir) throws IOException {
        ImageDataset data = MnistImages.fromDirectory(tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0), Split.TEST, 28);
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
        String[] lines = new String(MnistImagesTest.class.getResourceAsStream("/fixtures/mnist_t10k_first2_bilinear32.txt").readAllBytes()).trim().split("\\s+");
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
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(SHARED), "shared MNIST not present");
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
        InputException e = assertThrows(InputException.class, () -> MnistImages.fromDirectory(dir.resolve("nope"), Split.TRAIN, 32));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void missingFile(@TempDir Path dir) {
        InputException e = assertThrows(InputException.class, () -> MnistImages.fromDirectory(dir, Split.TRAIN, 32));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 28, IdxFile.IMAGES, 100);
        InputException e = assertThrows(InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("t10k-images"), e.getMessage());
    }

    @Test
    void truncatedGzip(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0);
        Path labels = dir.resolve("t10k-labels-idx1-ubyte.gz");
        byte[] gz = Files.readAllBytes(labels);
        Files.write(labels, truncate(gz, gz.length / 2));
        InputException e = assertThrows(InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertTrue(e.getMessage().contains("t10k-labels"), e.getMessage());
    }

    @Test
    void wrongMagic(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 28, IdxFile.LABELS, 0);
        InputException e = assertThrows(InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertTrue(e.getMessage().contains("magic number 2049") && e.getMessage().contains("expected 2051"), e.getMessage());
    }

    @Test
    void wrongDimensions(@TempDir Path dir) throws IOException {
        tinyMnist(dir, 3, 30, IdxFile.IMAGES, 0);
        InputException e = assertThrows(InputException.class, () -> MnistImages.fromDirectory(dir, Split.TEST, 32));
        assertTrue(e.getMessage().contains("30x30") && e.getMessage().contains("expected 28x28"), e.getMessage());
    }

    @Test
    void sliceSharesImages() {
        ImageDataset all = MnistImages.embedded(32);
        ImageDataset tail = all.slice(9_000, 10_000);
        assertEquals(1_000, tail.imageCount());
        assertEquals(all.label(9_005), tail.label(5));
        try (NDManager manager = NDManager.newBaseManager()) {
            assertArrayEquals(all.batch(manager, new int[] {9_005}).toFloatArray(), tail.batch(manager, new int[] {5}).toFloatArray());
        }
    }
}
