package org.shortrun.training;

import java.util.Random;

/**
 * The order images are drawn in: a fresh permutation of the data every epoch, determined by the
 * seed and the epoch alone, so that the batch of any iteration can be recomputed on resume.
 */
public final class BatchOrder {

    private final int size;
    private final int batchSize;
    private final long seed;
    private long cachedEpoch = -1;
    private int[] permutation;

    /**
     * Creates the order for a dataset.
     *
     * @param size the number of images
     * @param batchSize the images per batch
     * @param seed the run's seed
     */
    public BatchOrder(int size, int batchSize, long seed) {
        if (size <= 0) {
            throw new IllegalArgumentException("no images to draw batches from");
        }
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /**
     * Returns the image indices of an iteration's batch.
     *
     * @param iteration the iteration (0-based)
     * @return batchSize indices
     */
    public int[] indices(long iteration) {
        int[] out = new int[batchSize];
        long position = iteration * batchSize;
        for (int j = 0; j < batchSize; j++) {
            long p = position + j;
            out[j] = permutation(p / size)[(int) (p % size)];
        }
        return out;
    }

    private int[] permutation(long epoch) {
        if (epoch != cachedEpoch) {
            Random random = new Random(seed * 1_000_003L + epoch);
            permutation = new int[size];
            for (int i = 0; i < size; i++) {
                permutation[i] = i;
            }
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = t;
            }
            cachedEpoch = epoch;
        }
        return permutation;
    }
}
