package org.shortrun.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.shortrun.InputException;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.format.Mat5File;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.Matrix;

/**
 * SVHN's cropped digits ({@code train_32x32.mat}, {@code test_32x32.mat}, {@code extra_32x32.mat}):
 * MATLAB Level-5 files with X, uint8 32 x 32 x 3 x N stored column-major, and y, N labels of any
 * numeric class in which 10 stands for the digit 0. Read with MFL; a v7.3 (HDF5) file is refused
 * with a message saying so. Each file's structure is checked first (see {@code Mat5Check}), so that
 * MFL never meets a size it would believe.
 */
public final class SvhnImages {

    private static final int SIDE = 32;
    private static final byte[] HDF5_SIGNATURE = {
        (byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'
    };

    private SvhnImages() {}

    /**
     * Reads a split from a directory.
     *
     * @param directory the directory holding the .mat files
     * @param split TRAIN ({@code train_32x32.mat}) or TEST ({@code test_32x32.mat})
     * @param withExtra for TRAIN, also append {@code extra_32x32.mat}
     * @param imageSize the side to serve images at
     * @return the dataset
     * @throws InputException naming the file and the problem
     */
    public static ImageDataset fromDirectory(
            Path directory, Split split, boolean withExtra, int imageSize) {
        if (!Files.isDirectory(directory)) {
            throw new InputException("data directory " + directory + " does not exist");
        }
        List<Path> files = new ArrayList<>();
        files.add(
                directory.resolve(
                        split.requireTrainOrTest("SVHN") == Split.TRAIN
                                ? "train_32x32.mat"
                                : "test_32x32.mat"));
        if (withExtra && split == Split.TRAIN) {
            files.add(directory.resolve("extra_32x32.mat"));
        }
        List<Part> parts = new ArrayList<>();
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new InputException(
                        "data directory " + directory + " has no " + file.getFileName());
            }
            parts.add(read(file));
        }
        long total = parts.stream().mapToLong(p -> p.labels.length).sum();
        if (total * 3 * SIDE * SIDE > Integer.MAX_VALUE - 8) {
            throw new InputException(
                    directory
                            + ": "
                            + total
                            + " SVHN images are more than one array holds; leave out"
                            + " extra_32x32.mat");
        }
        int n = (int) total;
        byte[] pixels = new byte[n * 3 * SIDE * SIDE];
        int[] labels = new int[n];
        int at = 0;
        for (Part p : parts) {
            System.arraycopy(p.pixels, 0, pixels, at * 3 * SIDE * SIDE, p.pixels.length);
            System.arraycopy(p.labels, 0, labels, at, p.labels.length);
            at += p.labels.length;
        }
        return ImageDataset.builder()
                .setImages(pixels, n, 3, SIDE)
                .optLabels(labels)
                .optImageSize(imageSize)
                .build();
    }

    private record Part(byte[] pixels, int[] labels) {}

    /** Reads one file into NCHW bytes and labels 0..9. */
    static Part read(Path file) {
        refuseHdf5(file);
        try {
            Mat5Check.check(file);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        Mat5File mat;
        try {
            mat = Mat5.readFromFile(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new InputException(
                    file + " is truncated or not a MAT v5 file (" + e.getMessage() + ")", e);
        }
        try (mat) {
            Matrix x = matrix(mat, file, "X");
            Matrix y = matrix(mat, file, "y");
            int[] d = x.getDimensions();
            if (d.length != 4 || d[0] != SIDE || d[1] != SIDE || d[2] != 3) {
                throw new InputException(
                        file + ": X has shape " + shape(d) + ", expected 32x32x3xN");
            }
            int n = d[3];
            if (y.getNumElements() != n) {
                throw new InputException(
                        file
                                + ": y has "
                                + y.getNumElements()
                                + " labels for "
                                + n
                                + " images in X");
            }
            byte[] pixels = new byte[n * 3 * SIDE * SIDE];
            // column-major X(r, c, ch, i) -> row-major [i][ch][r][c]
            int source = 0;
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < 3; ch++) {
                    int plane = (i * 3 + ch) * SIDE * SIDE;
                    for (int c = 0; c < SIDE; c++) {
                        for (int r = 0; r < SIDE; r++) {
                            pixels[plane + r * SIDE + c] = x.getByte(source++);
                        }
                    }
                }
            }
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                double v = y.getDouble(i);
                int label = (int) v;
                if (label != v || label < 1 || label > 10) {
                    throw new InputException(
                            file
                                    + ": y("
                                    + (i + 1)
                                    + ") is "
                                    + v
                                    + ", expected a digit label 1..10");
                }
                labels[i] = label % 10;
            }
            return new Part(pixels, labels);
        } catch (IOException e) {
            throw new InputException(file + ": cannot close (" + e.getMessage() + ")", e);
        } catch (InputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InputException(file + " is truncated or corrupt (" + e.getMessage() + ")", e);
        }
    }

    private static Matrix matrix(Mat5File mat, Path file, String name) {
        Array array;
        try {
            array = mat.getArray(name);
        } catch (IllegalArgumentException e) {
            throw new InputException(
                    file + " has no variable " + name + " (SVHN files hold X and y)", e);
        }
        if (!(array instanceof Matrix)) {
            throw new InputException(
                    file + ": " + name + " is a " + array.getType() + ", expected a numeric array");
        }
        return (Matrix) array;
    }

    private static void refuseHdf5(Path file) {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(520);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        String text = new String(head, 0, Math.min(116, head.length), StandardCharsets.US_ASCII);
        boolean hdf5 =
                head.length >= 520
                        && Arrays.equals(Arrays.copyOfRange(head, 512, 520), HDF5_SIGNATURE);
        if (text.startsWith("MATLAB 7.3") || hdf5) {
            throw new InputException(
                    file
                            + " is a MAT v7.3 (HDF5) file, which this reader does not read; save it"
                            + " with -v7, e.g. in MATLAB: load(f); save(f, 'X', 'y', '-v7')");
        }
        if (head.length < 128) {
            throw new InputException(
                    file + " is truncated: " + head.length + " bytes, shorter than a MAT header");
        }
    }

    private static String shape(int[] d) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < d.length; i++) {
            b.append(i == 0 ? "" : "x").append(d[i]);
        }
        return b.toString();
    }
}
