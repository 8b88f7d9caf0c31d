package org.shortrun.eval.fid;

import ai.djl.ndarray.NDManager;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Random;

/**
 * One FID measurement (and KID, if asked for): the real images' statistics from the cache or
 * through Inception, the other images' statistics through Inception, then the distances.
 *
 * <pre>{@code
 * try (InceptionNetwork net =
 *         InceptionNetwork.load(file, null, InceptionNetwork.POOL3_FEATURES, null)) {
 *     FidEvaluation.Result r = FidEvaluation.builder()
 *             .setNetwork(net, file)
 *             .setReal(realImages::batch, 10_000, "my-real-images")
 *             .setFake(new GeneratorImages(generator, parameters, 1), 10_000, "generated")
 *             .build()
 *             .compute(manager);
 * }
 * }</pre>
 */
public final class FidEvaluation {

    /**
     * What a measurement found.
     *
     * @param fid the Frechet distance and its parts
     * @param frechetSeconds the time the distance itself took (the eigendecompositions)
     * @param kid the kernel distance, or null if it was not asked for
     * @param realCache what the cache did: "hit", "written FILE", "rebuilt (FILE is damaged:
     *     PROBLEM)" or "off"
     */
    public record Result(
            FrechetDistance.Result fid,
            double frechetSeconds,
            KernelInceptionDistance.Result kid,
            String realCache) {}

    private final Builder builder;

    private FidEvaluation(Builder builder) {
        this.builder = builder;
    }

    /**
     * Starts describing a measurement.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the measurement.
     *
     * @param manager under which each batch's scope is opened
     * @return the distances
     * @throws IOException if the network file cannot be read or the cache cannot be written
     * @throws IllegalStateException if the distance cannot be computed (pytorch-fid's checks)
     */
    public Result compute(NDManager manager) throws IOException {
        Builder b = builder;
        // created first, as the command always did, so KID's subsets do not depend on the cache
        Random kidRandom = new Random(b.seed);
        RealStatistics real =
                RealStatistics.get(
                        b.network,
                        b.networkFile,
                        b.realImages,
                        b.realCount,
                        b.realKey,
                        b.cacheDirectory,
                        b.kidSubsets > 0 ? b.kidPool : 0,
                        b.seed,
                        b.batchSize,
                        b.progress,
                        manager);
        FeatureReservoir fakePool =
                b.kidSubsets > 0 ? new FeatureReservoir(b.kidPool, new Random(b.seed + 1L)) : null;
        FeatureStatistics fake =
                extract(
                        b.network,
                        b.fakeImages,
                        b.fakeCount,
                        b.batchSize,
                        fakePool,
                        manager,
                        b.progress,
                        b.fakeName);
        long started = System.nanoTime();
        FrechetDistance.Result fid;
        try {
            fid = FrechetDistance.compute(real.entry().statistics(), fake);
        } catch (ArithmeticException e) {
            throw new IllegalStateException("FID failed: " + e.getMessage(), e);
        }
        double frechetSeconds = (System.nanoTime() - started) / 1e9;
        KernelInceptionDistance.Result kid = null;
        if (fakePool != null) {
            kid =
                    KernelInceptionDistance.compute(
                            real.entry().sample(),
                            fakePool.rows(),
                            b.kidSubsets,
                            b.kidSubsetSize,
                            kidRandom,
                            manager);
        }
        return new Result(fid, frechetSeconds, kid, real.cacheStatus());
    }

    /**
     * Extracts the statistics of a stream of images, telling a progress bar how far it is.
     *
     * @param network the Inception network
     * @param images the images
     * @param count how many
     * @param batchSize images per batch
     * @param pool where a KID sample is kept, or null
     * @param manager under which each batch's scope is opened
     * @param progress told the images done, or null
     * @param what names the images in the progress message, e.g. "real" or "generated"
     * @return the statistics
     */
    public static FeatureStatistics extract(
            InceptionNetwork network,
            FeatureExtraction.Images images,
            int count,
            int batchSize,
            FeatureReservoir pool,
            NDManager manager,
            Progress progress,
            String what) {
        if (progress == null) {
            return FeatureExtraction.statistics(
                    network, images, count, batchSize, pool, manager, done -> {});
        }
        progress.reset("Inception features of " + count + " " + what + " images", count);
        progress.start(0);
        FeatureStatistics stats =
                FeatureExtraction.statistics(
                        network, images, count, batchSize, pool, manager, progress::update);
        progress.end();
        return stats;
    }

    /** Describes a measurement; the network and both sides must be set. */
    public static final class Builder {
        private InceptionNetwork network;
        private Path networkFile;
        private FeatureExtraction.Images realImages;
        private int realCount;
        private String realKey;
        private FeatureExtraction.Images fakeImages;
        private int fakeCount;
        private String fakeName = "generated";
        private Path cacheDirectory;
        private int kidSubsets;
        private int kidSubsetSize;
        private int kidPool;
        private int seed = 1;
        private int batchSize = 50;
        private Progress progress;

        private Builder() {}

        /**
         * Sets the Inception network.
         *
         * @param network the loaded network
         * @param file the file it was loaded from; its path, size and time key the cache
         * @return this builder
         */
        public Builder setNetwork(InceptionNetwork network, Path file) {
            this.network = network;
            this.networkFile = file;
            return this;
        }

        /**
         * Sets the real images.
         *
         * @param images the images, in [-1, 1]
         * @param count how many of them, from the first
         * @param sourceKey what identifies them in the cache (dataset, directory, split, size)
         * @return this builder
         */
        public Builder setReal(FeatureExtraction.Images images, int count, String sourceKey) {
            this.realImages = images;
            this.realCount = count;
            this.realKey = sourceKey;
            return this;
        }

        /**
         * Sets the images to score.
         *
         * @param images the images, in [-1, 1], e.g. {@link GeneratorImages}
         * @param count how many of them
         * @param name what they are called in progress messages, e.g. "generated"
         * @return this builder
         */
        public Builder setFake(FeatureExtraction.Images images, int count, String name) {
            this.fakeImages = images;
            this.fakeCount = count;
            this.fakeName = name;
            return this;
        }

        /**
         * Keeps the real statistics in a cache directory (default: no cache).
         *
         * @param directory the directory, or null for none
         * @return this builder
         */
        public Builder optCacheDirectory(Path directory) {
            this.cacheDirectory = directory;
            return this;
        }

        /**
         * Also computes KID (default: not).
         *
         * @param subsets how many subsets to average over
         * @param subsetSize vectors per subset and side
         * @param pool feature vectors kept per side to draw the subsets from
         * @return this builder
         */
        public Builder optKid(int subsets, int subsetSize, int pool) {
            this.kidSubsets = subsets;
            this.kidSubsetSize = subsetSize;
            this.kidPool = pool;
            return this;
        }

        /**
         * Sets the seed of the KID samples and subsets (default: 1).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(int seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the images per Inception batch (default: 50).
         *
         * @param batchSize the batch size
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Reports feature extraction, one side after the other (default: silent).
         *
         * @param progress the progress bar
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Checks the description.
         *
         * @return the measurement
         * @throws IllegalArgumentException if a count, the batch size or KID's sizes are too small
         */
        public FidEvaluation build() {
            Objects.requireNonNull(network, "setNetwork");
            Objects.requireNonNull(realImages, "setReal");
            Objects.requireNonNull(fakeImages, "setFake");
            if (realCount < 2 || fakeCount < 2) {
                throw new IllegalArgumentException(
                        "FID needs at least 2 images a side, got "
                                + realCount
                                + " real and "
                                + fakeCount
                                + " "
                                + fakeName);
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException(
                        "the batch size must be positive, got " + batchSize);
            }
            if (kidSubsets < 0 || (kidSubsets > 0 && (kidSubsetSize < 2 || kidPool <= 0))) {
                throw new IllegalArgumentException(
                        "KID needs subsets of at least 2 vectors from a positive pool");
            }
            return new FidEvaluation(this);
        }
    }
}
