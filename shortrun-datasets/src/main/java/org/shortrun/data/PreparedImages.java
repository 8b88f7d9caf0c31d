package org.shortrun.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.nio.file.Path;
import org.shortrun.ImageSource;

/**
 * A DJL dataset of images read from their files by {@link #prepare(Progress)} and then held in
 * memory as an {@link ImageDataset}, as DJL's own datasets are built and prepared. It serves DJL's
 * {@link Record}s through its sampler ({@code setSampling}) and, as an {@link ImageSource}, the
 * contiguous batches the learner reads. Reading it before {@code prepare} prepares it.
 */
public abstract class PreparedImages extends RandomAccessDataset implements ImageSource {

    /** DJL's usage: which split to read. */
    protected final Dataset.Usage usage;

    /** The directory the files are in, or null where the dataset has a default. */
    protected final Path directory;

    /** The side images are served at. */
    protected final int imageSize;

    private ImageDataset images;

    /**
     * Takes the settings of a builder.
     *
     * @param builder the builder
     */
    protected PreparedImages(BaseBuilder<?> builder) {
        super(builder);
        usage = builder.usage;
        directory = builder.directory;
        imageSize = builder.imageSize;
    }

    /**
     * Reads the split's files.
     *
     * @param progress to tell how reading goes, where the dataset can (CelebA's decoding); may be
     *     null
     * @return the images
     */
    protected abstract ImageDataset read(Progress progress);

    /**
     * Reads the files, once; later calls do nothing.
     *
     * @param progress told how reading goes where the dataset can tell (CelebA's decoding); may be
     *     null
     */
    @Override
    public synchronized void prepare(Progress progress) {
        if (images != null) {
            return;
        }
        images = read(progress);
    }

    /**
     * Returns the images, reading them first if {@link #prepare(Progress)} was not called.
     *
     * @return the images
     */
    public ImageDataset images() {
        prepare(null);
        return images;
    }

    /** {@inheritDoc} */
    @Override
    public Record get(NDManager manager, long index) {
        return images().get(manager, index);
    }

    /** {@inheritDoc} */
    @Override
    protected long availableSize() {
        return images().size();
    }

    /** {@inheritDoc} */
    @Override
    public int imageCount() {
        return (int) Math.min(images().imageCount(), limit);
    }

    /** {@inheritDoc} */
    @Override
    public Shape imageShape() {
        return images().imageShape();
    }

    /** {@inheritDoc} */
    @Override
    public NDArray batch(NDManager manager, int[] indices) {
        for (int i : indices) {
            if (i < 0 || i >= imageCount()) {
                throw new IndexOutOfBoundsException("image " + i + " of " + imageCount());
            }
        }
        return images().batch(manager, indices);
    }

    /**
     * The settings every prepared image dataset takes, besides DJL's sampling.
     *
     * @param <T> the concrete builder
     */
    public abstract static class BaseBuilder<T extends BaseBuilder<T>>
            extends RandomAccessDataset.BaseBuilder<T> {
        Dataset.Usage usage = Dataset.Usage.TRAIN;
        Path directory;
        int imageSize = 32;

        /**
         * Sets which split to read (default: TRAIN).
         *
         * @param usage the split
         * @return this builder
         */
        public T optUsage(Dataset.Usage usage) {
            this.usage = usage;
            return self();
        }

        /**
         * Sets the directory the dataset's files are in.
         *
         * @param directory the directory
         * @return this builder
         */
        public T optDirectory(Path directory) {
            this.directory = directory;
            return self();
        }

        /**
         * Sets the directory from a DJL repository on the local file system.
         *
         * @param repository a repository whose base URI is a local directory
         * @return this builder
         * @throws IllegalArgumentException if the repository is not local
         */
        public T optRepository(ai.djl.repository.Repository repository) {
            java.net.URI uri = repository.getBaseUri();
            if (!"file".equals(uri.getScheme())) {
                throw new IllegalArgumentException(
                        "only a local repository holds the files directly, got " + uri);
            }
            return optDirectory(Path.of(uri));
        }

        /**
         * Sets the side images are served at (default 32, the model's; 28 for MNIST as stored).
         *
         * @param imageSize the side
         * @return this builder
         */
        public T optImageSize(int imageSize) {
            if (imageSize <= 0) {
                throw new IllegalArgumentException("image size must be positive, got " + imageSize);
            }
            this.imageSize = imageSize;
            return self();
        }

        /**
         * Sequential batches of 32 where {@code setSampling} was not called, as {@link
         * ImageDataset}'s.
         */
        void defaultSampling() {
            if (sampler == null) {
                setSampling(32, false);
            }
        }
    }
}
