package org.shortrun.data;

import ai.djl.util.Progress;

/**
 * SVHN's cropped digits as a DJL dataset: {@code SvhnDataset.builder().optDirectory(dir)
 * .optUsage(Usage.TRAIN).setSampling(64, true).build()}, then {@link #prepare(Progress)}. The
 * directory holds {@code train_32x32.mat}, {@code test_32x32.mat} and optionally {@code
 * extra_32x32.mat}. SVHN has no validation split.
 */
public final class SvhnDataset extends PreparedImages {

    private final boolean withExtra;

    private SvhnDataset(Builder builder) {
        super(builder);
        withExtra = builder.withExtra;
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
                    "SVHN needs the directory of its .mat files (optDirectory)");
        }
        return SvhnImages.fromDirectory(directory, Split.of(usage), withExtra, imageSize);
    }

    /** Builds a {@link SvhnDataset}. */
    public static final class Builder extends PreparedImages.BaseBuilder<Builder> {
        private boolean withExtra;

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Also appends {@code extra_32x32.mat} to the training split (default: no).
         *
         * @param withExtra whether to
         * @return this builder
         */
        public Builder optExtra(boolean withExtra) {
            this.withExtra = withExtra;
            return this;
        }

        /**
         * Builds the dataset; nothing is read until it is prepared. Sampling defaults to sequential
         * batches of 32.
         *
         * @return the dataset
         */
        public SvhnDataset build() {
            defaultSampling();
            return new SvhnDataset(this);
        }
    }
}
