package org.shortrun.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import java.util.Random;
import org.shortrun.InputException;

/**
 * Which pixels an inpainting run may see: 1 for observed, 0 for occluded, one plane per image
 * shared by its channels.
 */
public enum Mask {
    /** A centred square of half the side is occluded. */
    CENTER,
    /** A random fraction of the pixels is occluded, drawn per image. */
    PIXELS,
    /** The left half is occluded. */
    LEFT,
    /** The right half is occluded. */
    RIGHT,
    /** The top half is occluded. */
    TOP,
    /** The bottom half is occluded. */
    BOTTOM,
    /** Random squares of a quarter of the side are occluded, placed per image. */
    BLOCKS;

    /**
     * @return the name used on the command line
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Refuses a setting this mask cannot take.
     *
     * @param setting {@link #PIXELS}: the fraction occluded; {@link #BLOCKS}: the number of blocks;
     *     ignored otherwise
     * @throws InputException if the fraction is not strictly between 0 and 1, or there are no
     *     blocks
     */
    public void check(double setting) {
        if (this == PIXELS && !(setting > 0 && setting < 1)) {
            throw new InputException(
                    "the fraction of pixels occluded must be between 0 and 1, got " + setting);
        }
        if (this == BLOCKS && !(setting >= 1)) {
            throw new InputException(
                    "the number of blocks occluded must be positive, got " + setting);
        }
    }

    /**
     * Draws masks for a batch.
     *
     * @param manager where the mask goes
     * @param n images
     * @param side image side
     * @param fraction {@link #PIXELS}: the fraction occluded; {@link #BLOCKS}: the number of blocks
     *     (rounded); ignored otherwise
     * @param random the source of random masks
     * @return {@code [n, 1, side, side]} of 0 and 1
     */
    public NDArray draw(NDManager manager, int n, int side, double fraction, Random random) {
        float[] m = new float[n * side * side];
        java.util.Arrays.fill(m, 1f);
        int half = side / 2;
        for (int i = 0; i < n; i++) {
            int base = i * side * side;
            switch (this) {
                case CENTER:
                    occlude(m, base, side, side / 4, side / 4, half, half);
                    break;
                case LEFT:
                    occlude(m, base, side, 0, 0, side, half);
                    break;
                case RIGHT:
                    occlude(m, base, side, 0, half, side, side - half);
                    break;
                case TOP:
                    occlude(m, base, side, 0, 0, half, side);
                    break;
                case BOTTOM:
                    occlude(m, base, side, half, 0, side - half, side);
                    break;
                case PIXELS:
                    for (int p = 0; p < side * side; p++) {
                        if (random.nextDouble() < fraction) {
                            m[base + p] = 0f;
                        }
                    }
                    break;
                case BLOCKS:
                    int block = Math.max(1, side / 4);
                    for (int b = 0; b < Math.max(1, Math.round(fraction)); b++) {
                        occlude(
                                m,
                                base,
                                side,
                                random.nextInt(side - block + 1),
                                random.nextInt(side - block + 1),
                                block,
                                block);
                    }
                    break;
                default:
                    throw new AssertionError(this);
            }
        }
        return manager.create(m, new Shape(n, 1, side, side));
    }

    private static void occlude(
            float[] m, int base, int side, int top, int left, int height, int width) {
        for (int y = top; y < top + height; y++) {
            for (int x = left; x < left + width; x++) {
                m[base + y * side + x] = 0f;
            }
        }
    }
}
