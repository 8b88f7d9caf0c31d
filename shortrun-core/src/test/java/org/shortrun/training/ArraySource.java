package org.shortrun.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.shortrun.ImageSource;

/**
 * Random images in [-1, 1] for tests; optionally fails when asked for a given batch, or serves NaN
 * pixels from a given batch on.
 */
public final class ArraySource implements ImageSource {

    private final float[][] images;
    private final int failAtCall;
    private final int nanFromCall;
    private final float scale;
    private int calls;

    public ArraySource(int count, long seed, int failAtCall) {
        this(count, seed, failAtCall, -1);
    }

    /**
     * A source whose batches hold NaN from the {@code nanFromCall}-th on, so that the loss
     * diverges.
     */
    public static ArraySource poisoned(int count, long seed, int nanFromCall) {
        return new ArraySource(count, seed, -1, nanFromCall);
    }

    /**
     * A source whose batches from the {@code fromCall}-th on hold only the value {@code value}: NaN
     * makes the loss diverge; a large finite value makes outliers whose loss is still finite in
     * float32 but whose gradients' squares are not.
     */
    static ArraySource outliers(int count, long seed, int fromCall, float value) {
        return new ArraySource(count, seed, -1, fromCall, value);
    }

    private ArraySource(int count, long seed, int failAtCall, int nanFromCall) {
        this(count, seed, failAtCall, nanFromCall, Float.NaN);
    }

    private ArraySource(int count, long seed, int failAtCall, int nanFromCall, float scale) {
        this.scale = scale;
        Random random = new Random(seed);
        images = new float[count][32 * 32];
        for (float[] image : images) {
            for (int i = 0; i < image.length; i++) {
                image[i] = random.nextFloat() * 2 - 1;
            }
        }
        this.failAtCall = failAtCall;
        this.nanFromCall = nanFromCall;
    }

    @Override
    public int imageCount() {
        return images.length;
    }

    @Override
    public Shape imageShape() {
        return new Shape(1, 32, 32);
    }

    @Override
    public NDArray batch(NDManager manager, int[] indices) {
        if (++calls == failAtCall) {
            throw new IllegalStateException("source failed on purpose");
        }
        float[] out = new float[indices.length * 1024];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(images[indices[i]], 0, out, i * 1024, 1024);
        }
        if (nanFromCall > 0 && calls >= nanFromCall) {
            java.util.Arrays.fill(out, scale);
        }
        return manager.create(out, new Shape(indices.length, 1, 32, 32));
    }
}
