package org.shortrun.data;

import ai.djl.util.Progress;

/**
 * MNIST as a DJL dataset, built as DJL's {@code Mnist} is: {@code MnistDataset.builder()
 * .optUsage(Usage.TEST).optDirectory(dir).optImageSize(32).setSampling(64, true).build()}, then
 * {@link #prepare(Progress)}. Without a directory it reads the test set shipped in this jar: its
 * first 9,000 images as TRAIN and its last 1,000 as TEST, the split the command's demo uses. MNIST
 * has no validation split.
 */
public final class MnistDataset extends PreparedImages {

    private MnistDataset(Builder builder) {
        super(builder);
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
        Split split = Split.of(usage).requireTrainOrTest("MNIST");
        if (directory != null) {
            return MnistImages.fromDirectory(directory, split, imageSize);
        }
        ImageDataset all = MnistImages.embedded(imageSize);
        return split == Split.TRAIN
                ? all.slice(0, 9_000)
                : all.slice(9_000, MnistImages.EMBEDDED_COUNT);
    }

    /** Builds a {@link MnistDataset}. */
    public static final class Builder extends PreparedImages.BaseBuilder<Builder> {

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the dataset; nothing is read until it is prepared. Sampling defaults to sequential
         * batches of 32.
         *
         * @return the dataset
         */
        public MnistDataset build() {
            defaultSampling();
            return new MnistDataset(this);
        }
    }
}
