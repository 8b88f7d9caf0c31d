package org.shortrun.data;

import ai.djl.util.Progress;
import java.nio.file.Path;

/**
 * Aligned CelebA as a DJL dataset: {@code CelebaDataset.builder().optDirectory(dir)
 * .optUsage(Usage.TRAIN).optImageSize(64).setSampling(64, true).build()}, then {@link
 * #prepare(Progress)}, which decodes the split's JPEGs (from the folder or the zip) once and
 * afterwards reads them from a checked cache file. TRAIN, VALIDATION and TEST are partitions 0, 1
 * and 2 of {@code list_eval_partition.txt}.
 */
public final class CelebaDataset extends PreparedImages {

    private final int first;
    private final Path cacheDirectory;
    private CelebaImages.Loaded loaded;

    private CelebaDataset(Builder builder) {
        super(builder);
        first = builder.first;
        cacheDirectory = builder.cacheDirectory;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    protected ImageDataset read(Progress progress) {
        if (directory == null) {
            throw new org.shortrun.InputException(
                    "CelebA needs the directory of its images and list_eval_partition.txt"
                            + " (optDirectory)");
        }
        loaded =
                CelebaImages.load(
                        directory, Split.of(usage), imageSize, first, cacheDirectory, progress);
        return loaded.dataset();
    }

    /**
     * Returns what preparing cost: images decoded and skipped, seconds, whether the cache served.
     *
     * @return the costs, after {@link #prepare(Progress)}
     */
    public CelebaImages.Loaded loaded() {
        images();
        return loaded;
    }

    /** Builds a {@link CelebaDataset}. */
    public static final class Builder extends PreparedImages.BaseBuilder<Builder> {
        private int first;
        private Path cacheDirectory =
                Path.of(System.getProperty("user.home"), ".cache", "shortrun");

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Keeps only the split's first images in sorted file order (default: all; the released
         * script took 40,000 for training).
         *
         * @param first how many
         * @return this builder
         */
        public Builder optFirst(int first) {
            this.first = first;
            return this;
        }

        /**
         * Sets where the decoded images are cached (default: ~/.cache/shortrun, as the command).
         *
         * @param cacheDirectory the directory
         * @return this builder
         */
        public Builder optCacheDirectory(Path cacheDirectory) {
            this.cacheDirectory = cacheDirectory;
            return this;
        }

        /**
         * Builds the dataset; nothing is read until it is prepared. Sampling defaults to sequential
         * batches of 32.
         *
         * @return the dataset
         */
        public CelebaDataset build() {
            defaultSampling();
            return new CelebaDataset(this);
        }
    }
}
