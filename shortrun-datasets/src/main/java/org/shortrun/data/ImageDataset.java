package org.shortrun.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import org.shortrun.ImageSource;

/**
 * Unsigned-byte images held in memory and served as float32 NCHW in [-1, 1], resized bilinearly to
 * the model's side when it differs. A DJL {@link RandomAccessDataset} for DJL pipelines and an
 * {@link ImageSource} for the learner's fast batch path.
 */
public final class ImageDataset extends RandomAccessDataset implements ImageSource {

    private final byte[] pixels;
    private final int[] labels;
    private final int offset;
    private final int count;
    private final int channels;
    private final int side;
    private final int targetSide;
    private final Bilinear resize;
    private final Builder builder;

    private ImageDataset(Builder builder, int offset, int count) {
        super(builder);
        pixels = builder.pixels;
        labels = builder.labels;
        channels = builder.channels;
        side = builder.side;
        targetSide = builder.targetSide > 0 ? builder.targetSide : builder.side;
        resize = targetSide == side ? null : new Bilinear(side, targetSide);
        this.offset = offset;
        this.count = count;
        this.builder = builder;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the images {@code [from, to)} as a dataset of their own, sharing the memory.
     *
     * @param from the first index
     * @param to one past the last index
     * @return the slice
     */
    public ImageDataset slice(int from, int to) {
        if (from < 0 || to > count || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + count);
        }
        return new ImageDataset(builder, offset + from, to - from);
    }

    /**
     * Returns the images of one class as a dataset of their own, in their order here, as one-class
     * tasks (anomaly detection with one class as normal) train on.
     *
     * @param label the class
     * @return the images whose label it is; copied
     * @throws IllegalStateException if the data has no labels
     */
    public ImageDataset withLabel(int label) {
        if (labels == null) {
            throw new IllegalStateException("the images have no labels");
        }
        int n = imageCount();
        int image = channels * side * side;
        int matching = 0;
        for (int i = 0; i < n; i++) {
            if (label(i) == label) {
                matching++;
            }
        }
        byte[] selected = new byte[matching * image];
        int[] selectedLabels = new int[matching];
        int at = 0;
        for (int i = 0; i < n; i++) {
            if (label(i) == label) {
                System.arraycopy(pixels, (offset + i) * image, selected, at * image, image);
                selectedLabels[at++] = label;
            }
        }
        return builder()
                .setImages(selected, matching, channels, side)
                .optLabels(selectedLabels)
                .optImageSize(targetSide)
                .build();
    }

    /** {@inheritDoc} */
    @Override
    public int imageCount() {
        return (int) Math.min(count, limit);
    }

    /** {@inheritDoc} */
    @Override
    public Shape imageShape() {
        return new Shape(channels, targetSide, targetSide);
    }

    /**
     * Returns the label of an image, or -1 if the data has none.
     *
     * @param index the image index
     * @return the label
     */
    public int label(int index) {
        return labels == null ? -1 : labels[offset + index];
    }

    /** {@inheritDoc} */
    @Override
    public NDArray batch(NDManager manager, int[] indices) {
        int plane = targetSide * targetSide;
        int image = channels * plane;
        float[] out = new float[indices.length * image];
        for (int b = 0; b < indices.length; b++) {
            fill(indices[b], out, b * image);
        }
        return manager.create(out, new Shape(indices.length, channels, targetSide, targetSide));
    }

    private void fill(int index, float[] out, int at) {
        if (index < 0 || index >= imageCount()) {
            throw new IndexOutOfBoundsException("image " + index + " of " + imageCount());
        }
        int srcPlane = side * side;
        int src = (offset + index) * channels * srcPlane;
        float scale = 2f / 255f;
        if (resize == null) {
            for (int i = 0; i < channels * srcPlane; i++) {
                out[at + i] = (pixels[src + i] & 0xff) * scale - 1f;
            }
        } else {
            int plane = targetSide * targetSide;
            for (int c = 0; c < channels; c++) {
                resize.resize(pixels, src + c * srcPlane, out, at + c * plane, scale, -1f);
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public Record get(NDManager manager, long index) {
        NDArray image = batch(manager, new int[] {Math.toIntExact(index)}).squeeze(0);
        NDList label = new NDList(manager.create((float) label((int) index)));
        return new Record(new NDList(image), label);
    }

    /** {@inheritDoc} */
    @Override
    protected long availableSize() {
        return count;
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Progress progress) {
        // held in memory from the start
    }

    /** Builds an {@link ImageDataset} from unsigned bytes laid out N, C, H, W. */
    public static final class Builder extends BaseBuilder<Builder> {
        private byte[] pixels;
        private int[] labels;
        private int count;
        private int channels;
        private int side;
        private int targetSide;

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the pixels.
         *
         * @param pixels unsigned bytes, N x C x side x side
         * @param count N
         * @param channels C
         * @param side the image side
         * @return this builder
         */
        public Builder setImages(byte[] pixels, int count, int channels, int side) {
            if ((long) count * channels * side * side != pixels.length) {
                throw new IllegalArgumentException(
                        "pixel count does not match "
                                + count
                                + "x"
                                + channels
                                + "x"
                                + side
                                + "x"
                                + side);
            }
            this.pixels = pixels;
            this.count = count;
            this.channels = channels;
            this.side = side;
            return this;
        }

        /**
         * Sets one label per image.
         *
         * @param labels the labels
         * @return this builder
         */
        public Builder optLabels(int[] labels) {
            this.labels = labels;
            return this;
        }

        /**
         * Sets the side the images are served at (default: as stored).
         *
         * @param targetSide the served side
         * @return this builder
         */
        public Builder optImageSize(int targetSide) {
            this.targetSide = targetSide;
            return this;
        }

        /**
         * Builds the dataset; sampling defaults to sequential batches of 32.
         *
         * @return the dataset
         */
        public ImageDataset build() {
            if (pixels == null) {
                throw new IllegalArgumentException("images must be set");
            }
            if (labels != null && labels.length != count) {
                throw new IllegalArgumentException(
                        labels.length + " labels for " + count + " images");
            }
            if (sampler == null) {
                setSampling(32, false);
            }
            return new ImageDataset(this, 0, count);
        }
    }
}
