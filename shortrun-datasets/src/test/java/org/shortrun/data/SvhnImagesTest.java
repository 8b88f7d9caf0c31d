package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.Fuzz;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;

/** SVHN on files written by scipy's savemat (see src/test/python/make_svhn_fixtures.py). */
class SvhnImagesTest {

    static Path fixtures() {
        try {
            return Path.of(SvhnImagesTest.class.getResource("/fixtures/svhn").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's pixel X(r, c, ch, i), scaled to [-1, 1]. */
    static float expected(int r, int c, int ch, int i) {
        return ((7 * r + 3 * c + 50 * ch + 11 * i) % 256) / 255f * 2f - 1f;
    }

    @Test
    void readsColumnMajorXIntoNchwAndMapsLabel10ToZero() {
        ImageDataset train = SvhnImages.fromDirectory(fixtures(), Split.TRAIN, false, 32);
        assertEquals(6, train.imageCount());
        int[] labels = new int[6];
        for (int i = 0; i < 6; i++) {
            labels[i] = train.label(i);
        }
        assertArrayEquals(
                new int[] {0, 1, 2, 3, 9, 0}, labels, "y held 10, 1, 2, 3, 9, 10 as doubles");
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] v = train.batch(manager, new int[] {4}).toFloatArray();
            assertEquals(3 * 32 * 32, v.length);
            for (int ch = 0; ch < 3; ch++) {
                for (int r = 0; r < 32; r++) {
                    for (int c = 0; c < 32; c++) {
                        assertEquals(
                                expected(r, c, ch, 4),
                                v[(ch * 32 + r) * 32 + c],
                                1e-6f,
                                "ch " + ch + " r " + r + " c " + c);
                    }
                }
            }
        }
    }

    @Test
    void testSplitAndExtraInOrder() {
        ImageDataset test = SvhnImages.fromDirectory(fixtures(), Split.TEST, false, 32);
        assertEquals(3, test.imageCount());
        assertEquals(5, test.label(0));
        assertEquals(0, test.label(1), "uint8 y");
        ImageDataset withExtra = SvhnImages.fromDirectory(fixtures(), Split.TRAIN, true, 32);
        assertEquals(8, withExtra.imageCount());
        assertEquals(4, withExtra.label(6), "int32 y of extra_32x32.mat, after train");
        assertEquals(8, withExtra.label(7));
        try (NDManager manager = NDManager.newBaseManager()) {
            assertEquals(
                    expected(3, 5, 2, 201),
                    withExtra.batch(manager, new int[] {7}).toFloatArray()[(2 * 32 + 3) * 32 + 5],
                    1e-6f);
            float[] at64 =
                    SvhnImages.fromDirectory(fixtures(), Split.TEST, false, 64)
                            .batch(manager, new int[] {0})
                            .toFloatArray();
            assertEquals(3 * 64 * 64, at64.length);
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float f : at64) {
                min = Math.min(min, f);
                max = Math.max(max, f);
            }
            assertTrue(min >= -1f && max <= 1f);
        }
    }

    private static InputException fails(Path dir) {
        return assertThrows(
                InputException.class, () -> SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32));
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws IOException {
        byte[] whole = Files.readAllBytes(fixtures().resolve("train_32x32.mat"));
        Files.write(dir.resolve("train_32x32.mat"), Arrays.copyOf(whole, whole.length / 2));
        InputException e = fails(dir);
        assertEquals(
                dir.resolve("train_32x32.mat")
                        + " is damaged: it is truncated: the element at offset 128 declares 1360"
                        + " bytes but only 642 remain",
                e.getMessage());
    }

    @Test
    void fileShorterThanAHeader(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("train_32x32.mat"), new byte[40]);
        InputException e = fails(dir);
        assertTrue(
                e.getMessage().contains("train_32x32.mat") && e.getMessage().contains("truncated"),
                e.getMessage());
    }

    @Test
    void missingX(@TempDir Path dir) throws IOException {
        MatFile mat = Mat5.newMatFile().addArray("y", Mat5.newMatrix(3, 1));
        Mat5.writeToFile(mat, dir.resolve("train_32x32.mat").toFile());
        InputException e = fails(dir);
        assertTrue(
                e.getMessage().contains("train_32x32.mat")
                        && e.getMessage().contains("no variable X"),
                e.getMessage());
    }

    @Test
    void missingY(@TempDir Path dir) throws IOException {
        MatFile mat =
                Mat5.newMatFile()
                        .addArray("X", Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8));
        Mat5.writeToFile(mat, dir.resolve("train_32x32.mat").toFile());
        InputException e = fails(dir);
        assertTrue(e.getMessage().contains("no variable y"), e.getMessage());
    }

    @Test
    void wrongShape(@TempDir Path dir) throws IOException {
        Matrix x = Mat5.newMatrix(new int[] {32, 32, 4}, MatlabType.UInt8);
        MatFile mat = Mat5.newMatFile().addArray("X", x).addArray("y", Mat5.newMatrix(4, 1));
        Mat5.writeToFile(mat, dir.resolve("train_32x32.mat").toFile());
        InputException e = fails(dir);
        assertTrue(
                e.getMessage().contains("32x32x4") && e.getMessage().contains("expected 32x32x3xN"),
                e.getMessage());
    }

    @Test
    void labelCountMismatch(@TempDir Path dir) throws IOException {
        MatFile mat =
                Mat5.newMatFile()
                        .addArray("X", Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8))
                        .addArray("y", Mat5.newMatrix(3, 1));
        Mat5.writeToFile(mat, dir.resolve("train_32x32.mat").toFile());
        InputException e = fails(dir);
        assertTrue(e.getMessage().contains("3 labels for 2 images"), e.getMessage());
    }

    @Test
    void matV73IsRefusedWithAClearMessage(@TempDir Path dir) throws IOException {
        byte[] file = new byte[1024];
        byte[] text =
                "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
                        .getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(file, 0, 116, (byte) ' ');
        System.arraycopy(text, 0, file, 0, text.length);
        byte[] hdf5 = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
        System.arraycopy(hdf5, 0, file, 512, hdf5.length);
        Files.write(dir.resolve("train_32x32.mat"), file);
        InputException e = fails(dir);
        assertTrue(
                e.getMessage().contains("v7.3")
                        && e.getMessage().contains("HDF5")
                        && e.getMessage().contains("train_32x32.mat"),
                e.getMessage());
    }

    @Test
    void missingFileAndDirectory(@TempDir Path dir) {
        assertTrue(fails(dir).getMessage().contains("has no train_32x32.mat"));
        assertTrue(fails(dir.resolve("nope")).getMessage().contains("does not exist"));
    }

    /**
     * A MAT-5 file written here byte by byte (little-endian), so that a test can say exactly what
     * is in it.
     */
    static final class Mat {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Mat() {
            byte[] header = new byte[128];
            Arrays.fill(header, 0, 116, (byte) ' ');
            byte[] text =
                    "MATLAB 5.0 MAT-file, written by SvhnImagesTest"
                            .getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(text, 0, header, 0, text.length);
            header[124] = 0;
            header[125] = 1;
            header[126] = 'I';
            header[127] = 'M';
            out.writeBytes(header);
        }

        static byte[] tag(int type, long size) {
            return ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(type)
                    .putInt((int) size)
                    .array();
        }

        static void sub(ByteArrayOutputStream b, int type, byte[] data) {
            b.writeBytes(tag(type, data.length));
            b.writeBytes(data);
            b.writeBytes(new byte[(8 - data.length % 8) % 8]);
        }

        /** A numeric variable: MATLAB class, dimensions, storage type and its bytes. */
        static byte[] matrix(String name, int matlabClass, int[] dims, int storage, byte[] data) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            sub(
                    body,
                    6,
                    ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putInt(matlabClass)
                            .putInt(0)
                            .array());
            ByteBuffer d = ByteBuffer.allocate(4 * dims.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : dims) {
                d.putInt(v);
            }
            sub(body, 5, d.array());
            sub(body, 1, name.getBytes(StandardCharsets.US_ASCII));
            sub(body, storage, data);
            ByteArrayOutputStream element = new ByteArrayOutputStream();
            element.writeBytes(tag(14, body.size()));
            element.writeBytes(body.toByteArray());
            return element.toByteArray();
        }

        Mat add(byte[] element) {
            out.writeBytes(element);
            return this;
        }

        Mat addCompressed(byte[] element) {
            Deflater deflater = new Deflater();
            deflater.setInput(element);
            deflater.finish();
            byte[] buffer = new byte[element.length + 64];
            int n = deflater.deflate(buffer);
            deflater.end();
            out.writeBytes(tag(15, n));
            out.write(buffer, 0, n);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A valid SVHN file of two images: X uint8 32x32x3x2, y double 2x1 holding 10 and 3. */
    static byte[] svhn(boolean compressed) {
        byte[] x = new byte[32 * 32 * 3 * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (byte) (i * 13);
        }
        byte[] y =
                ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putDouble(10)
                        .putDouble(3)
                        .array();
        byte[] xs = Mat.matrix("X", 9, new int[] {32, 32, 3, 2}, 2, x);
        byte[] ys = Mat.matrix("y", 6, new int[] {2, 1}, 9, y);
        return compressed
                ? new Mat().addCompressed(xs).addCompressed(ys).bytes()
                : new Mat().add(xs).add(ys).bytes();
    }

    @Test
    void handWrittenFilesReadAsMflAndScipyFilesDo(@TempDir Path dir) throws IOException {
        for (boolean compressed : new boolean[] {false, true}) {
            Files.write(dir.resolve("train_32x32.mat"), svhn(compressed));
            ImageDataset data = SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32);
            assertEquals(2, data.imageCount());
            assertEquals(0, data.label(0));
            assertEquals(3, data.label(1));
        }
    }

    @Test
    void aCompressedElementFailingItsAdler32IsRefused(@TempDir Path dir) throws IOException {
        byte[] bytes = svhn(true);
        int length = ByteBuffer.wrap(bytes, 132, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        bytes[136 + length - 1] ^= 0x01; // the last byte of the first zlib stream: its Adler-32
        Path file = dir.resolve("train_32x32.mat");
        Files.write(file, bytes);
        DamagedFileException e =
                assertThrows(
                        DamagedFileException.class,
                        () -> SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32));
        assertEquals(
                file
                        + " is damaged: the compressed element at offset 128 fails its zlib check"
                        + " (incorrect data check)",
                e.getMessage());
    }

    @Test
    void hugeSizesAreRefusedBeforeMflSeesThem(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("train_32x32.mat");
        byte[] bytes = svhn(false);
        ByteBuffer.wrap(bytes, 132, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0x7fffffff);
        Files.write(file, bytes);
        DamagedFileException e =
                assertThrows(
                        DamagedFileException.class,
                        () -> SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32));
        assertEquals(
                file
                        + " is damaged: it is truncated: the element at offset 128 declares"
                        + " 2147483647 bytes but only "
                        + (bytes.length - 136)
                        + " remain",
                e.getMessage());
        // a compressed element whose inflated tag claims 2 GB
        byte[] claim = new byte[64];
        System.arraycopy(Mat.tag(14, 0x7ffffff0), 0, claim, 0, 8);
        Files.write(file, new Mat().addCompressed(claim).bytes());
        e =
                assertThrows(
                        DamagedFileException.class,
                        () -> SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                file
                                        + " is damaged: the compressed element at offset 128"
                                        + " declares 2147483632 bytes, more than its "),
                e.getMessage());
        // dimensions of 100,000 images over the bytes of two
        byte[] x = Mat.matrix("X", 9, new int[] {32, 32, 3, 100_000}, 2, new byte[6144]);
        Files.write(file, new Mat().addCompressed(x).bytes());
        e =
                assertThrows(
                        DamagedFileException.class,
                        () -> SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32));
        assertEquals(
                file
                        + " is damaged: the variable at offset 128 has 6144 bytes of data for"
                        + " 307200000 elements of 1 bytes",
                e.getMessage());
    }

    @Test
    void fuzzedMatFilesAreReadOrRefusedCleanly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("train_32x32.mat");
        for (boolean compressed : new boolean[] {false, true}) {
            Fuzz.Report report =
                    Fuzz.of(
                                    compressed ? "SVHN MAT compressed" : "SVHN MAT",
                                    svhn(compressed),
                                    compressed ? 32 : 31)
                            .mutants(2000)
                            .run(file, f -> SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32));
            assertTrue(report.ok(), report.details());
            assertTrue(report.clean() > 0, report.line());
        }
    }
}
