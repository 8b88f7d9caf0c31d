package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;

import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.MatlabType;
import us.hebi.matlab.mat.types.Matrix;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
        assertArrayEquals(new int[] {0, 1, 2, 3, 9, 0}, labels, "y held 10, 1, 2, 3, 9, 10 as doubles");
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] v = train.batch(manager, new int[] {4}).toFloatArray();
            assertEquals(3 * 32 * 32, v.length);
            for (int ch = 0; ch < 3; ch++) {
                for (int r = 0; r < 32; r++) {
                    for (int c = 0; c < 32; c++) {
                        assertEquals(expected(r, c, ch, 4), v[(ch * 32 + r) * 32 + c], 1e-6f, "ch " + ch + " r " + r + " c " + c);
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
            assertEquals(expected(3, 5, 2, 201), withExtra.batch(manager, new int[] {7}).toFloatArray()[(2 * 32 + 3) * 32 + 5], 1e-6f);
            float[] at64 = SvhnImages.fromDirectory(fixtures(), Split.TEST, false, 64).batch(manager, new int[] {0}).toFloatArray();
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
        return assertThrows(InputException.class, () -> SvhnImages.fromDirectory(dir, Split.TRAIN, false, 32));
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws IOException {
        byte[] whole = Files.readAllBytes(fixtures().resolve("train_32x32.mat"));
        Files.write(dir.resolve("train_32x32.mat"), Arrays.copyOf(whole, whole.length / 2));
        InputException e = fails(dir);
        assertTrue(e.getMessage().contains("train_32x32.mat") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void fileShorterThanAHeader(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("train_32x32.mat"), new byte[40]);
        InputException e = fails(dir);
        assertTrue(e.getMessage().contains("train_32x32.mat") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingX(@TempDir Path dir) throws IOException {
        MatFile mat = Mat5.newMatFile().addArray("y", Mat5.newMatrix(3, 1));
        Mat5.writeToFile(mat, dir.resolve("train_32x32.mat").toFile());
        InputException e = fails(dir);
        assertTrue(e.getMessage().contains("train_32x32.mat") && e.getMessage().contains("no variable X"), e.getMessage());
    }

    @Test
    void missingY(@TempDir Path dir) throws IOException {
        MatFile mat = Mat5.newMatFile().addArray("X", Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8));
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
        assertTrue(e.getMessage().contains("32x32x4") && e.getMessage().contains("expected 32x32x3xN"), e.getMessage());
    }

    @Test
    void labelCountMismatch(@TempDir Path dir) throws IOException {
        MatFile mat = Mat5.newMatFile()
                .addArray("X", Mat5.newMatrix(new int[] {32, 32, 3, 2}, MatlabType.UInt8))
                .addArray("y", Mat5.newMatrix(3, 1));
        Mat5.writeToFile(mat, dir.resolve("train_32x32.mat").toFile());
        InputException e = fails(dir);
        assertTrue(e.getMessage().contains("3 labels for 2 images"), e.getMessage());
    }

    @Test
    void matV73IsRefusedWithAClearMessage(@TempDir Path dir) throws IOException {
        byte[] file = new byte[1024];
        byte[] text = "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .".getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(file, 0, 116, (byte) ' ');
        System.arraycopy(text, 0, file, 0, text.length);
        byte[] hdf5 = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
        System.arraycopy(hdf5, 0, file, 512, hdf5.length);
        Files.write(dir.resolve("train_32x32.mat"), file);
        InputException e = fails(dir);
        assertTrue(e.getMessage().contains("v7.3") && e.getMessage().contains("HDF5") && e.getMessage().contains("train_32x32.mat"), e.getMessage());
    }

    @Test
    void missingFileAndDirectory(@TempDir Path dir) {
        assertTrue(fails(dir).getMessage().contains("has no train_32x32.mat"));
        assertTrue(fails(dir.resolve("nope")).getMessage().contains("does not exist"));
    }
}
