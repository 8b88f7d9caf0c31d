package org.shortrun.eval;

import ai.djl.ndarray.NDArray;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.shortrun.io.WriteFailure;

/**
 * Writes batches of images in [-1, 1] as one PNG. With several batches of the same size (say
 * originals and reconstructions), each band of the picture shows the same columns of every batch
 * one above the other.
 */
public final class ImageGrid {

    private static final int GAP = 2;

    /** Pixels per image pixel: 32 x 32 images are too small to judge at 1. */
    private static final int SCALE = 2;

    private ImageGrid() {}

    /**
     * Writes a single batch as a grid.
     *
     * @param images {@code [n, c, h, w]} in [-1, 1], c = 1 or 3
     * @param columns images per row
     * @param file the PNG to write
     * @throws IOException if writing fails
     */
    public static void write(NDArray images, int columns, Path file) throws IOException {
        write(List.of(images), columns, file);
    }

    /**
     * Writes batches of equal size in bands: band b holds images {@code [b*columns, (b+1)*columns)}
     * of every batch, one row per batch.
     *
     * @param batches batches of {@code [n, c, h, w]} in [-1, 1]
     * @param columns images per row
     * @param file the PNG to write
     * @throws IOException if writing fails
     */
    public static void write(List<NDArray> batches, int columns, Path file) throws IOException {
        if (columns <= 0) {
            throw new org.shortrun.InputException(
                    "a grid needs at least one column, got " + columns);
        }
        long[] shape = batches.get(0).getShape().getShape();
        int n = (int) shape[0];
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        int cellH = h * SCALE;
        int cellW = w * SCALE;
        int cols = Math.min(columns, n);
        int bands = (n + cols - 1) / cols;
        int rows = bands * batches.size();
        BufferedImage picture =
                new BufferedImage(
                        cols * (cellW + GAP) + GAP,
                        rows * (cellH + GAP) + GAP,
                        BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < picture.getHeight(); r++) {
            for (int q = 0; q < picture.getWidth(); q++) {
                picture.setRGB(q, r, 0xffffff);
            }
        }
        for (int k = 0; k < batches.size(); k++) {
            float[] v = batches.get(k).toFloatArray();
            for (int i = 0; i < n; i++) {
                int row = (i / cols) * batches.size() + k;
                int x0 = GAP + (i % cols) * (cellW + GAP);
                int y0 = GAP + row * (cellH + GAP);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int rgb = 0;
                        for (int ch = 0; ch < 3; ch++) {
                            int plane = c == 1 ? 0 : ch;
                            float value = v[((i * c + plane) * h + y) * w + x];
                            int byteValue =
                                    Math.round((Math.max(-1f, Math.min(1f, value)) + 1f) * 127.5f);
                            rgb = (rgb << 8) | byteValue;
                        }
                        for (int dy = 0; dy < SCALE; dy++) {
                            for (int dx = 0; dx < SCALE; dx++) {
                                picture.setRGB(x0 + x * SCALE + dx, y0 + y * SCALE + dy, rgb);
                            }
                        }
                    }
                }
            }
        }
        // through a stream of our own: ImageIO.write(File) prints the real cause and throws
        // "Can't create an ImageOutputStream!" instead
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
                ImageIO.write(picture, "png", out);
            }
        } catch (IOException e) {
            throw new IOException(WriteFailure.message(file, e), e);
        }
    }
}
