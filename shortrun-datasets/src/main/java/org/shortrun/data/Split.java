package org.shortrun.data;

/** Which part of a dataset to read. */
public enum Split {
    /** The training images. */
    TRAIN,
    /** The held-out test images. */
    TEST
}
