package org.shortrun.data;

import ai.djl.training.dataset.Dataset;

/** Which part of a dataset to read. */
public enum Split {
    /** The training images. */
    TRAIN,
    /** The held-out test images. */
    TEST,
    /** The validation images; only CelebA has them (partition 1 of its split file). */
    VALIDATION;

    /**
     * The split DJL calls by this usage.
     *
     * @param usage DJL's usage
     * @return the split
     */
    public static Split of(Dataset.Usage usage) {
        return switch (usage) {
            case TRAIN -> TRAIN;
            case TEST -> TEST;
            case VALIDATION -> VALIDATION;
        };
    }

    /**
     * Refuses the validation split of a dataset that has none.
     *
     * @param dataset the dataset's name, for the message
     * @return this split
     * @throws org.shortrun.InputException for VALIDATION
     */
    public Split requireTrainOrTest(String dataset) {
        if (this == VALIDATION) {
            throw new org.shortrun.InputException(
                    dataset + " has no validation split; use its training or test split");
        }
        return this;
    }
}
