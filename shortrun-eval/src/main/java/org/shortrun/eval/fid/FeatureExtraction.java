package org.shortrun.eval.fid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.IntConsumer;

/**
 * Streams images through Inception into feature statistics (and optionally a KID sample), a batch
 * at a time in its own scope, so memory does not grow with the number of images.
 */
public final class FeatureExtraction {

    /** Makes images {@code [from, to)} of a stream, in [-1, 1], in the given manager. */
    @FunctionalInterface
    public interface Images {
        /**
         * Makes a batch.
         *
         * @param scope where the batch goes
         * @param from first index
         * @param to one past the last
         * @return {@code [to - from, c, h, w]}
         */
        NDArray get(NDManager scope, int from, int to);
    }

    private FeatureExtraction() {}

    /**
     * Extracts features of {@code count} images.
     *
     * @param network the Inception network
     * @param images the image stream
     * @param count how many images
     * @param batchSize images per batch
     * @param sample where a uniform sample of the features is kept for KID, or null
     * @param manager under which each batch's scope is opened
     * @param progress told the number of images done after each batch
     * @return the statistics
     */
    public static FeatureStatistics statistics(
            InceptionNetwork network,
            Images images,
            int count,
            int batchSize,
            FeatureReservoir sample,
            NDManager manager,
            IntConsumer progress) {
        try (FeatureStatistics.Accumulator acc =
                new FeatureStatistics.Accumulator(network.getFeatureDim(), manager)) {
            for (int from = 0; from < count; from += batchSize) {
                int to = Math.min(count, from + batchSize);
                try (NDManager scope = manager.newSubManager()) {
                    float[] features = network.features(images.get(scope, from, to));
                    acc.add(features, to - from);
                    if (sample != null) {
                        sample.add(features, to - from);
                    }
                }
                progress.accept(to);
            }
            return acc.build();
        }
    }
}
