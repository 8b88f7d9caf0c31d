package org.shortrun.eval.fid;

import java.util.Arrays;
import java.util.Random;

/**
 * A uniform random sample of at most {@code capacity} feature vectors from a stream (reservoir
 * sampling). KID draws its subsets from it: a uniform subset of a uniform sample is a uniform
 * subset of the whole stream, so the estimate stays unbiased while 40,000 x 2048 floats never have
 * to be held at once.
 */
public final class FeatureReservoir {

    private final float[][] rows;
    private final Random random;
    private long seen;

    /**
     * Creates an empty reservoir.
     *
     * @param capacity the most vectors kept
     * @param random the source of the sample
     */
    public FeatureReservoir(int capacity, Random random) {
        this.rows = new float[capacity][];
        this.random = random;
    }

    /**
     * Offers a batch of vectors.
     *
     * @param batch {@code n * d} values, row-major
     * @param n the number of vectors
     */
    public void add(float[] batch, int n) {
        int d = batch.length / n;
        for (int i = 0; i < n; i++) {
            int slot = seen < rows.length ? (int) seen : (int) (random.nextDouble() * (seen + 1));
            if (slot < rows.length) {
                rows[slot] = Arrays.copyOfRange(batch, i * d, (i + 1) * d);
            }
            seen++;
        }
    }

    /**
     * @return the vectors kept, in slot order
     */
    public float[][] rows() {
        return Arrays.copyOf(rows, (int) Math.min(seen, rows.length));
    }

    /**
     * @return how many vectors were offered
     */
    public long getSeen() {
        return seen;
    }
}
