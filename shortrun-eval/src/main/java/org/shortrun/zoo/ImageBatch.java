package org.shortrun.zoo;

import ai.djl.Device;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch of images {@code [n, c, h, w]} in [-1, 1], the scale the generator works in, held on the
 * Java heap so that it outlives the predictor call that made it. Converts from and to DJL {@link
 * Image}s (8 bits per channel) and {@link NDArray}s (exactly).
 */
public final class ImageBatch {

    private final float[] values;
    private final int count;
    private final int channels;
    private final int height;
    private final int width;

    private ImageBatch(float[] values, int count, int channels, int height, int width) {
        if (values.length != (long) count * channels * height * width) {
            throw new IllegalArgumentException(
                    "expected "
                            + count
                            + " x "
                            + channels
                            + " x "
                            + height
                            + " x "
                            + width
                            + " values, got "
                            + values.length);
        }
        this.values = values;
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /**
     * Copies a batch from an array of shape {@code [n, c, h, w]} with values in [-1, 1].
     *
     * @param images the array; it is only read
     * @return the batch
     */
    public static ImageBatch of(NDArray images) {
        long[] s = images.getShape().getShape();
        if (s.length != 4) {
            throw new IllegalArgumentException("expected [n, c, h, w], got " + images.getShape());
        }
        return new ImageBatch(
                images.toFloatArray(), (int) s[0], (int) s[1], (int) s[2], (int) s[3]);
    }

    /**
     * Converts DJL images of one size to a batch: 8-bit values v become {@code v / 127.5 - 1}.
     *
     * @param images the images, all of the same width and height
     * @param channels 1 to read them as grey, 3 as RGB
     * @return the batch
     */
    public static ImageBatch fromImages(List<Image> images, int channels) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images");
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        int h = images.get(0).getHeight();
        int w = images.get(0).getWidth();
        float[] v = new float[images.size() * channels * h * w];
        // DJL's images become arrays that are read back into Java at once: on the host
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            for (int i = 0; i < images.size(); i++) {
                Image image = images.get(i);
                if (image.getHeight() != h || image.getWidth() != w) {
                    throw new IllegalArgumentException(
                            "image "
                                    + i
                                    + " is "
                                    + image.getWidth()
                                    + " x "
                                    + image.getHeight()
                                    + ", image 0 is "
                                    + w
                                    + " x "
                                    + h);
                }
                try (NDManager scope = manager.newSubManager()) {
                    NDArray hwc =
                            image.toNDArray(
                                    scope, channels == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR);
                    float[] chw =
                            hwc.transpose(2, 0, 1)
                                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                                    .div(127.5f)
                                    .sub(1f)
                                    .toFloatArray();
                    System.arraycopy(chw, 0, v, i * chw.length, chw.length);
                }
            }
        }
        return new ImageBatch(v, images.size(), channels, h, w);
    }

    /**
     * Creates this batch as an array.
     *
     * @param manager the manager the array belongs to
     * @return {@code [n, c, h, w]}
     */
    public NDArray toNDArray(NDManager manager) {
        return manager.create(values, new Shape(count, channels, height, width));
    }

    /**
     * Converts the batch to DJL images, clipping to [-1, 1] and rounding to 8 bits.
     *
     * @return one image per batch entry, grey or RGB
     */
    public List<Image> toImages() {
        List<Image> images = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            BufferedImage picture =
                    new BufferedImage(
                            width,
                            height,
                            channels == 1
                                    ? BufferedImage.TYPE_BYTE_GRAY
                                    : BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    if (channels == 1) {
                        picture.getRaster()
                                .setSample(
                                        x,
                                        y,
                                        0,
                                        toByte(values[((i * channels) * height + y) * width + x]));
                    } else {
                        int rgb = 0;
                        for (int c = 0; c < 3; c++) {
                            rgb =
                                    (rgb << 8)
                                            | toByte(
                                                    values[
                                                            ((i * channels + c) * height + y)
                                                                            * width
                                                                    + x]);
                        }
                        picture.setRGB(x, y, rgb);
                    }
                }
            }
            images.add(ImageFactory.getInstance().fromImage(picture));
        }
        return images;
    }

    private static int toByte(float value) {
        return Math.round((Math.max(-1f, Math.min(1f, value)) + 1f) * 127.5f);
    }

    /**
     * Returns the values, image after image, each channel by channel and row by row.
     *
     * @return a copy of the values
     */
    public float[] toFloatArray() {
        return values.clone();
    }

    /**
     * Returns the number of images.
     *
     * @return n
     */
    public int size() {
        return count;
    }

    /**
     * Returns the channels per image.
     *
     * @return c, 1 or 3
     */
    public int getChannels() {
        return channels;
    }

    /**
     * Returns the image height.
     *
     * @return h
     */
    public int getHeight() {
        return height;
    }

    /**
     * Returns the image width.
     *
     * @return w
     */
    public int getWidth() {
        return width;
    }
}
