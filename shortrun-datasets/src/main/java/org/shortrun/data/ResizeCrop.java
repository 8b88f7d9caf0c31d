package org.shortrun.data;

/**
 * torchvision's {@code Resize(size)} then {@code CenterCrop(size)} for RGB images: the shorter side
 * is scaled to {@code size} with an antialiased bilinear (triangle) filter, as PIL does, and the
 * centre square is kept.
 */
final class ResizeCrop {

    private ResizeCrop() {}

    /**
     * Resizes and crops one ARGB image into planar RGB bytes.
     *
     * @param argb the pixels, row-major
     * @param width the width
     * @param height the height
     * @param size the output side
     * @param out destination, {@code 3 * size * size} bytes from {@code offset}, planes R, G, B
     * @param offset where to write
     */
    static void apply(int[] argb, int width, int height, int size, byte[] out, int offset) {
        int resizedW;
        int resizedH;
        if (width <= height) {
            resizedW = size;
            resizedH = (int) ((long) size * height / width);
        } else {
            resizedH = size;
            resizedW = (int) ((long) size * width / height);
        }
        int top = (int) Math.rint((resizedH - size) / 2.0); // half to even, as Python rounds
        int left = (int) Math.rint((resizedW - size) / 2.0);
        Filter horizontal = new Filter(width, resizedW, left, size);
        Filter vertical = new Filter(height, resizedH, top, size);
        float[] rows = new float[3 * height * size];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < size; x++) {
                float r = 0;
                float g = 0;
                float b = 0;
                int start = horizontal.start[x];
                float[] w = horizontal.weights[x];
                for (int k = 0; k < w.length; k++) {
                    int p = argb[y * width + start + k];
                    r += w[k] * ((p >> 16) & 0xff);
                    g += w[k] * ((p >> 8) & 0xff);
                    b += w[k] * (p & 0xff);
                }
                rows[(0 * height + y) * size + x] = r;
                rows[(1 * height + y) * size + x] = g;
                rows[(2 * height + y) * size + x] = b;
            }
        }
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < size; y++) {
                int start = vertical.start[y];
                float[] w = vertical.weights[y];
                for (int x = 0; x < size; x++) {
                    float v = 0;
                    for (int k = 0; k < w.length; k++) {
                        v += w[k] * rows[(c * height + start + k) * size + x];
                    }
                    out[offset + (c * size + y) * size + x] =
                            (byte) Math.max(0, Math.min(255, Math.round(v)));
                }
            }
        }
    }

    /** Normalised triangle-filter taps for the kept outputs of one axis. */
    private static final class Filter {
        final int[] start;
        final float[][] weights;

        Filter(int in, int out, int first, int count) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale;
            start = new int[count];
            weights = new float[count][];
            for (int i = 0; i < count; i++) {
                double center = (first + i + 0.5) * scale;
                int lo = Math.max(0, (int) (center - support + 0.5));
                int hi = Math.min(in, (int) (center + support + 0.5));
                double[] w = new double[hi - lo];
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    double t = Math.abs((j - center + 0.5) / filterScale);
                    w[j - lo] = t < 1 ? 1 - t : 0;
                    sum += w[j - lo];
                }
                weights[i] = new float[w.length];
                for (int k = 0; k < w.length; k++) {
                    weights[i][k] = (float) (w[k] / sum);
                }
                start[i] = lo;
            }
        }
    }
}
