package org.shortrun.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.shortrun.ImageSource;
import org.shortrun.InputException;

/**
 * A folder of PNG or JPEG images, all of one size, served in [-1, 1]: images made elsewhere, to be
 * scored. Grey images have one channel, others three. Files are read when a batch asks for them, in
 * name order.
 */
public final class ImageFiles implements ImageSource {

    /** The largest image, in pixels, decoded: a damaged header could claim gigapixels. */
    static final long MAX_PIXELS = 1L << 24;

    private final Path directory;
    private final List<Path> files;
    private final int channels;
    private final int height;
    private final int width;

    private final String key;

    private ImageFiles(
            Path directory, List<Path> files, int channels, int height, int width, String key) {
        this.directory = directory;
        this.key = key;
        this.files = files;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /**
     * Lists a folder's {@code .png}, {@code .jpg} and {@code .jpeg} files (not its subfolders) and
     * reads the first to learn the size and channels.
     *
     * @param directory the folder
     * @return the images
     * @throws InputException if the folder is missing, has no images, or the first is unreadable
     */
    public static ImageFiles open(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new InputException(directory + " is not a directory of images");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(directory)) {
            files = list.filter(ImageFiles::isImage).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new InputException("cannot list " + directory + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new InputException(directory + " holds no .png, .jpg or .jpeg images");
        }
        BufferedImage first = decode(files.get(0));
        long newest = 0;
        try {
            for (Path p : files) {
                newest = Math.max(newest, Files.getLastModifiedTime(p).toMillis());
            }
        } catch (IOException e) {
            throw new InputException(
                    "cannot read the dates of " + directory + "'s images: " + e.getMessage(), e);
        }
        String key =
                "dir="
                        + directory.toAbsolutePath().normalize()
                        + ";files="
                        + files.size()
                        + ";newest="
                        + newest;
        return new ImageFiles(
                directory, files, isGrey(first) ? 1 : 3, first.getHeight(), first.getWidth(), key);
    }

    private static boolean isImage(Path p) {
        return Files.isRegularFile(p) && isImageName(p.getFileName().toString());
    }

    /** Whether a file name is a PNG or JPEG image's, by its extension. */
    static boolean isImageName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".png") || lower.endsWith(".jpg") || lower.endsWith(".jpeg");
    }

    private static boolean isGrey(BufferedImage image) {
        return image.getColorModel().getNumColorComponents() == 1;
    }

    private static BufferedImage decode(Path file) {
        try (ImageInputStream stream = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = stream == null ? null : ImageIO.getImageReaders(stream);
            if (readers == null || !readers.hasNext()) {
                throw new InputException(file + " is not a readable PNG or JPEG image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                // the header's size, before a raster of that size is allocated
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width * height > MAX_PIXELS) {
                    throw new InputException(
                            file
                                    + " is "
                                    + width
                                    + "x"
                                    + height
                                    + " pixels, more than the "
                                    + MAX_PIXELS
                                    + " an image may have");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new InputException(file + " cannot be read: " + e.getMessage(), e);
        } catch (InputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InputException(
                    file + " is not a readable PNG or JPEG image (" + e.getMessage() + ")", e);
        }
    }

    /**
     * @return the folder
     */
    public Path getDirectory() {
        return directory;
    }

    /**
     * Identifies these images for caches: the folder, the number of images and the newest
     * modification time among them, so that adding or replacing an image changes it.
     *
     * @return the key
     */
    public String cacheKey() {
        return key;
    }

    @Override
    public int imageCount() {
        return files.size();
    }

    @Override
    public Shape imageShape() {
        return new Shape(channels, height, width);
    }

    /**
     * {@inheritDoc}
     *
     * @throws InputException if an image is unreadable or of another size than the first
     */
    @Override
    public NDArray batch(NDManager manager, int[] indices) {
        int plane = height * width;
        float[] values = new float[indices.length * channels * plane];
        for (int b = 0; b < indices.length; b++) {
            Path file = files.get(indices[b]);
            BufferedImage image = decode(file);
            if (image.getWidth() != width || image.getHeight() != height) {
                throw new InputException(
                        file
                                + " is "
                                + image.getWidth()
                                + "x"
                                + image.getHeight()
                                + " but "
                                + files.get(0).getFileName()
                                + " is "
                                + width
                                + "x"
                                + height
                                + "; a folder must hold images of one size");
            }
            boolean grey = isGrey(image);
            float greyMax = grey ? (1 << image.getColorModel().getComponentSize(0)) - 1 : 255f;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int base = b * channels * plane + y * width + x;
                    if (grey) {
                        // the raster, not getRGB: Java's grey colour space would change the levels
                        float level = image.getRaster().getSample(x, y, 0) / greyMax * 2f - 1f;
                        for (int c = 0; c < channels; c++) {
                            values[base + c * plane] = level;
                        }
                    } else if (channels == 1) {
                        int rgb = image.getRGB(x, y);
                        values[base] =
                                (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff))
                                                / 3f
                                                / 127.5f
                                        - 1f;
                    } else {
                        int rgb = image.getRGB(x, y);
                        values[base] = ((rgb >> 16) & 0xff) / 127.5f - 1f;
                        values[base + plane] = ((rgb >> 8) & 0xff) / 127.5f - 1f;
                        values[base + 2 * plane] = (rgb & 0xff) / 127.5f - 1f;
                    }
                }
            }
        }
        return manager.create(values, new Shape(indices.length, channels, height, width));
    }
}
