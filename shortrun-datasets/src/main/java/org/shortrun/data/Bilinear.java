package org.shortrun.data;

/**
 * Bilinear resizing with PyTorch's {@code interpolate(mode='bilinear', align_corners=False)}
 * sampling, so that resized MNIST matches the authors' and the peer's pixel for pixel.
 */
final class Bilinear {

    private final int in;
    private final int out;
    private final int[] low;
    private final int[] high;
    private final float[] weight;

    Bilinear(int in, int out) {
        this.in = in;
        this.out = out;
        low = new int[out];
        high = new int[out];
        weight = new float[out];
        double scale = (double) in / out;
        for (int i = 0; i < out; i++) {
            double src = Math.max(0.0, (i + 0.5) * scale - 0.5);
            int i0 = Math.min((int) Math.floor(src), in - 1);
            low[i] = i0;
            high[i] = Math.min(i0 + 1, in - 1);
            weight[i] = (float) (src - i0);
        }
    }

    /** Resizes one unsigned-byte plane {@code in x in} into {@code out x out} floats at offset. */
    void resize(byte[] src, int srcOffset, float[] dst, int dstOffset, float scale, float shift) {
        for (int y = 0; y < out; y++) {
            int r0 = srcOffset + low[y] * in;
            int r1 = srcOffset + high[y] * in;
            float wy = weight[y];
            for (int x = 0; x < out; x++) {
                float wx = weight[x];
                float top = (src[r0 + low[x]] & 0xff) * (1 - wx) + (src[r0 + high[x]] & 0xff) * wx;
                float bottom =
                        (src[r1 + low[x]] & 0xff) * (1 - wx) + (src[r1 + high[x]] & 0xff) * wx;
                dst[dstOffset + y * out + x] = (top * (1 - wy) + bottom * wy) * scale + shift;
            }
        }
    }
}
