package org.shortrun.eval.table;

import java.nio.file.Path;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;

/**
 * Where a table job gets a dataset's images. The command implements it with its dataset options, so
 * a table reads MNIST, SVHN and CelebA exactly as {@code train} does.
 */
@FunctionalInterface
public interface TableData {

    /**
     * Opens a dataset, checking what can be checked before anything is read.
     *
     * @param name mnist, svhn or celeba
     * @param directory where its files are, or null for the default (MNIST: the embedded copy)
     * @param celebaFirst CelebA: train on the first N images, 0 for all
     * @return the dataset's splits
     * @throws org.shortrun.InputException if the directory is missing or the dataset needs one
     */
    Source open(String name, Path directory, int celebaFirst);

    /** An opened dataset. */
    interface Source {
        /**
         * Loads a split.
         *
         * @param split the split
         * @param imageSize the side images are served at
         * @return the images
         */
        ImageDataset load(Split split, int imageSize);

        /**
         * Says where the images come from, for the table's text.
         *
         * @return e.g. "embedded MNIST test set"
         */
        String describe();

        /**
         * Identifies a split's images for the FID statistics cache.
         *
         * @param split the split
         * @param imageSize the side
         * @return the key
         */
        String cacheKey(Split split, int imageSize);

        /**
         * Identifies the training images, as a cell's checkpoint records them.
         *
         * @return e.g. "embedded MNIST test set"
         */
        String identity();

        /**
         * A dataset of the library's registry, read as {@code train} reads it.
         *
         * @param datasets the dataset and its settings
         * @return it as a table's source
         */
        static Source of(Datasets datasets) {
            return new Source() {
                @Override
                public ImageDataset load(Split split, int imageSize) {
                    return datasets.load(split, imageSize);
                }

                @Override
                public String describe() {
                    return datasets.describe();
                }

                @Override
                public String cacheKey(Split split, int imageSize) {
                    return datasets.cacheKey(split, imageSize);
                }

                @Override
                public String identity() {
                    return datasets.identity();
                }
            };
        }
    }
}
