package org.shortrun.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32;

/**
 * Decoded images in one binary file, keyed by their source, size and preprocessing. A file whose
 * key differs (stale) or whose length or checksum is wrong (truncated, damaged) is never read:
 * {@link #load} returns null and the caller rebuilds it. Written to a temporary name and renamed.
 */
final class ImageCache {

    private static final Logger logger = LoggerFactory.getLogger(ImageCache.class);
    private static final long MAGIC = 0x5352494d47303032L; // "SRIMG002"

    /** Images as stored: N x C x side x side unsigned bytes. */
    record Images(byte[] pixels, int count, int channels, int side) {}

    private ImageCache() {}

    /** Returns the cached images for {@code key}, or null if the file is absent, stale or damaged. */
    static Images load(Path file, String key) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            if (in.readLong() != MAGIC) {
                logger.warn("cache {} is not a shortrun image cache; rebuilding it", file);
                return null;
            }
            String stored = in.readUTF();
            if (!stored.equals(key)) {
                logger.warn("cache {} was made from other images or settings; rebuilding it", file);
                return null;
            }
            int count = in.readInt();
            int channels = in.readInt();
            int side = in.readInt();
            long length = (long) count * channels * side * side;
            if (count < 0 || channels <= 0 || side <= 0 || length > Integer.MAX_VALUE) {
                logger.warn("cache {} has an invalid header; rebuilding it", file);
                return null;
            }
            byte[] pixels = new byte[(int) length];
            in.readFully(pixels);
            long checksum = in.readLong();
            CRC32 crc = new CRC32();
            crc.update(pixels);
            if (crc.getValue() != checksum || in.read() != -1) {
                logger.warn("cache {} is damaged (checksum); rebuilding it", file);
                return null;
            }
            return new Images(pixels, count, channels, side);
        } catch (EOFException e) {
            logger.warn("cache {} is truncated; rebuilding it", file);
            return null;
        } catch (IOException e) {
            logger.warn("cache {} cannot be read ({}); rebuilding it", file, e.getMessage());
            return null;
        }
    }

    /** Writes the images under {@code key}; a failure only costs the next run a rebuild. */
    static void store(Path file, String key, Images images) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
                out.writeLong(MAGIC);
                out.writeUTF(key);
                out.writeInt(images.count());
                out.writeInt(images.channels());
                out.writeInt(images.side());
                out.write(images.pixels());
                CRC32 crc = new CRC32();
                crc.update(images.pixels());
                out.writeLong(crc.getValue());
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            logger.warn("could not write the image cache {} ({}); the next run decodes again", file, e.getMessage());
        }
    }
}
