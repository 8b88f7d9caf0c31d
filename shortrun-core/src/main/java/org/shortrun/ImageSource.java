package org.shortrun;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Images to learn from or to evaluate on, in [-1, 1], served as NCHW batches by index. */
public interface ImageSource {

    /**
     * Returns the number of images.
     *
     * @return the number of images
     */
    int imageCount();

    /**
     * Returns the shape of one image, {@code [c, h, w]}.
     *
     * @return the image shape
     */
    Shape imageShape();

    /**
     * Returns the images at the given indices as one {@code [n, c, h, w]} float32 array.
     *
     * @param manager the manager that will own the batch
     * @param indices indices in {@code [0, imageCount())}
     * @return the batch
     */
    NDArray batch(NDManager manager, int[] indices);

    /**
     * Returns the images {@code [from, to)} as one batch.
     *
     * @param manager the manager that will own the batch
     * @param from the first index
     * @param to one past the last index
     * @return the batch
     */
    default NDArray batch(NDManager manager, int from, int to) {
        int[] indices = new int[to - from];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = from + i;
        }
        return batch(manager, indices);
    }
}
