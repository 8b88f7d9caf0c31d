package org.shortrun.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.shortrun.InputException;
import org.shortrun.io.Bounds;
import org.shortrun.io.DamagedFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the IDX files MNIST is distributed in (unsigned bytes, big-endian header), gzip-compressed
 * or raw, and checks their magic number, dimensions and length. Every dimension is checked against
 * a sane limit and against what the file can hold before anything is allocated, and a gzip file is
 * never inflated much beyond what its header declares. Bytes after the declared data are dropped
 * with a warning that counts them.
 */
public final class IdxFile {

    /** Magic number of a file of images (unsigned byte, three dimensions). */
    public static final int IMAGES = 0x00000803;

    /** Magic number of a file of labels (unsigned byte, one dimension). */
    public static final int LABELS = 0x00000801;

    /**
     * The most items (images or labels) one file may declare: EMNIST's largest split has 0.7
     * million.
     */
    static final int MAX_ITEMS = 1 << 20;

    /** The longest side an image may declare. */
    static final int MAX_SIDE = 1024;

    /**
     * Inflated bytes past the declared data that are still counted for the warning; a gzip file
     * that inflates further is refused rather than inflated to its end.
     */
    static final int TRAILING_LIMIT = 1 << 16;

    /** Deflate cannot expand data by more than about 1032 to 1, so a larger claim is a lie. */
    private static final long DEFLATE_RATIO = 1032;

    private static final Logger logger = LoggerFactory.getLogger(IdxFile.class);

    private final int[] dims;
    private final byte[] data;

    private IdxFile(int[] dims, byte[] data) {
        this.dims = dims;
        this.data = data;
    }

    /**
     * Reads a file, gunzipping it if it starts with the gzip magic.
     *
     * @param file the file
     * @param magic {@link #IMAGES} or {@link #LABELS}
     * @return the contents
     * @throws InputException naming the file if it is unreadable, of another kind, truncated, or
     *     declares dimensions it cannot hold
     */
    public static IdxFile read(Path file, int magic) {
        try {
            long size = Files.size(file);
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                raw.mark(2);
                boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
                raw.reset();
                if (gzip) {
                    return read(file, new GZIPInputStream(raw, 1 << 16), magic, size, true);
                }
                return read(file, raw, magic, size, false);
            }
        } catch (ZipException | EOFException e) {
            throw new DamagedFileException(
                    file, "its gzip stream is corrupt or truncated (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Reads an IDX stream.
     *
     * @param file the file, for messages
     * @param in the uncompressed bytes
     * @param magic the expected magic number
     * @param size the file's size on disk (compressed, for a gzip file)
     * @param gzip whether {@code in} inflates a gzip file
     * @return the contents
     * @throws IOException if reading or inflating fails
     */
    static IdxFile read(Path file, InputStream in, int magic, long size, boolean gzip)
            throws IOException {
        int rank = magic & 0xff;
        int header = 4 + 4 * rank;
        byte[] head = in.readNBytes(header);
        if (head.length < 4) {
            throw new DamagedFileException(
                    file,
                    "it is truncated: " + head.length + " bytes, too short for an IDX header");
        }
        ByteBuffer buffer = ByteBuffer.wrap(head);
        int found = buffer.getInt();
        if (found != magic) {
            throw new DamagedFileException(
                    file,
                    String.format(
                            "it has magic number %d (0x%08x), expected %d for IDX %s",
                            found, found, magic, magic == IMAGES ? "images" : "labels"));
        }
        if (head.length < header) {
            throw new DamagedFileException(
                    file,
                    "it is truncated: its header needs "
                            + header
                            + " bytes, the file has "
                            + head.length);
        }
        int[] dims = new int[rank];
        dims[0] =
                Bounds.count(
                        file, "item count", Integer.toUnsignedLong(buffer.getInt()), 0, MAX_ITEMS);
        for (int i = 1; i < rank; i++) {
            dims[i] =
                    Bounds.count(
                            file,
                            "dimension " + (i + 1),
                            Integer.toUnsignedLong(buffer.getInt()),
                            1,
                            MAX_SIDE);
        }
        long itemBytes = 1;
        for (int i = 1; i < rank; i++) {
            itemBytes *= dims[i];
        }
        long declared = dims[0] * itemBytes;
        int total = Bounds.bytes(file, "data", dims[0], itemBytes, Integer.MAX_VALUE);
        byte[] data;
        if (gzip) {
            if (declared > DEFLATE_RATIO * size + header) {
                throw new DamagedFileException(
                        file,
                        "its header declares "
                                + declared
                                + " bytes of data, more than a gzip file of "
                                + size
                                + " bytes can hold");
            }
            data = readGrowing(file, in, total);
        } else {
            if (total > size - header) {
                throw new DamagedFileException(
                        file,
                        "it is truncated: "
                                + (size - header)
                                + " bytes of data, its header declares "
                                + total);
            }
            data = in.readNBytes(total);
            if (data.length < total) {
                throw new DamagedFileException(
                        file,
                        "it is truncated: "
                                + data.length
                                + " bytes of data, its header declares "
                                + total);
            }
        }
        long trailing = gzip ? countTrailing(file, in, declared) : size - header - declared;
        if (trailing > 0) {
            logger.warn(
                    "{} has {} bytes after the {} bytes of data its header declares; they are"
                            + " ignored",
                    file,
                    trailing,
                    declared);
        }
        return new IdxFile(dims, data);
    }

    /**
     * Reads {@code total} bytes into an array that grows as they arrive, so that a header's claim
     * costs no memory until the data is really there.
     */
    private static byte[] readGrowing(Path file, InputStream in, int total) throws IOException {
        byte[] data = new byte[Math.min(total, 1 << 20)];
        int have = 0;
        while (have < total) {
            if (have == data.length) {
                data = Arrays.copyOf(data, (int) Math.min(total, 2L * data.length));
            }
            int n = in.read(data, have, data.length - have);
            if (n < 0) {
                throw new DamagedFileException(
                        file,
                        "it is truncated: "
                                + have
                                + " bytes of data, its header declares "
                                + total);
            }
            have += n;
        }
        return data;
    }

    /**
     * Counts what inflates after the data, up to {@link #TRAILING_LIMIT}, which also verifies the
     * gzip CRC.
     */
    private static long countTrailing(Path file, InputStream in, long declared) throws IOException {
        byte[] skip = new byte[8192];
        long trailing = 0;
        for (int n = in.read(skip); n >= 0; n = in.read(skip)) {
            trailing += n;
            if (trailing > TRAILING_LIMIT) {
                throw new DamagedFileException(
                        file,
                        "it inflates to more than "
                                + TRAILING_LIMIT
                                + " bytes beyond the "
                                + declared
                                + " bytes of data its header declares");
            }
        }
        return trailing;
    }

    /**
     * Returns the dimensions (count first).
     *
     * @return a copy of the dimensions
     */
    public int[] getDims() {
        return dims.clone();
    }

    /**
     * Returns the data bytes, unsigned, row-major.
     *
     * @return the data (not a copy)
     */
    byte[] data() {
        return data;
    }
}
