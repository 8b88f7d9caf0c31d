package org.shortrun.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.SealedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decoded images in one sealed file (see {@link SealedFile}), keyed by their source, size and
 * preprocessing. The key, the dimensions and the pixels are all under the file's SHA-256, so a file
 * that is damaged, truncated, of another kind or of an older format is never read: {@link #load}
 * warns and returns null, and the caller rebuilds it. A file made for another key (stale) is
 * rebuilt the same way.
 */
final class ImageCache {

    static final String KIND = "image cache";

    /**
     * Format 1: key (UTF), count, channels, side, pixels. Before it, an unsealed "SRIMG002" file.
     */
    static final int FORMAT = 1;

    static final int MAX_COUNT = 1 << 24;
    static final int MAX_CHANNELS = 4;
    static final int MAX_SIDE = 4096;

    private static final Logger logger = LoggerFactory.getLogger(ImageCache.class);

    /** Images as stored: N x C x side x side unsigned bytes. */
    record Images(byte[] pixels, int count, int channels, int side) {}

    private ImageCache() {}

    /**
     * Returns the cached images for {@code key}, or null if the file is absent, stale or damaged.
     */
    static Images load(Path file, String key) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            Images images = read(file, key);
            if (images == null) {
                logger.warn("cache {} was made from other images or settings; rebuilding it", file);
            }
            return images;
        } catch (DamagedFileException e) {
            logger.warn("cache {}; rebuilding it", e.getMessage());
            return null;
        } catch (IOException e) {
            logger.warn("cache {} cannot be read ({}); rebuilding it", file, e.getMessage());
            return null;
        }
    }

    /**
     * Reads the file.
     *
     * @return the images, or null if the file is whole but was made for another key
     * @throws DamagedFileException if it is not a whole image cache of this format
     */
    static Images read(Path file, String key) throws IOException {
        return SealedFile.read(
                file,
                KIND,
                FORMAT,
                in -> {
                    String stored = in.readUTF();
                    if (!stored.equals(key)) {
                        in.skipNBytes(in.remaining());
                        return null;
                    }
                    int count = in.readCount("image count", 0, MAX_COUNT);
                    int channels = in.readCount("channel count", 1, MAX_CHANNELS);
                    int side = in.readCount("side", 1, MAX_SIDE);
                    byte[] pixels = in.readBytes("pixels", count, (long) channels * side * side);
                    return new Images(pixels, count, channels, side);
                });
    }

    /** Writes the images under {@code key}; a failure only costs the next run a rebuild. */
    static void store(Path file, String key, Images images) {
        try {
            SealedFile.write(
                    file,
                    KIND,
                    FORMAT,
                    out -> {
                        out.writeUTF(key);
                        out.writeInt(images.count());
                        out.writeInt(images.channels());
                        out.writeInt(images.side());
                        out.write(images.pixels());
                    });
        } catch (IOException e) {
            logger.warn(
                    "could not write the image cache {} ({}); the next run decodes again",
                    file,
                    e.getMessage());
        }
    }
}
