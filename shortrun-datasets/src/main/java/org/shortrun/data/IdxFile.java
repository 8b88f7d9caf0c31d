package org.shortrun.data;

import org.shortrun.InputException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX files MNIST is distributed in (unsigned bytes, big-endian header), gzip-compressed
 * or raw, and checks their magic number, dimensions and length.
 */
public final class IdxFile {

    /** Magic number of a file of images (unsigned byte, three dimensions). */
    public static final int IMAGES = 0x00000803;

    /** Magic number of a file of labels (unsigned byte, one dimension). */
    public static final int LABELS = 0x00000801;

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
     * @throws InputException naming the file if it is unreadable, of another kind, or truncated
     */
    public static IdxFile read(Path file, int magic) {
        byte[] bytes;
        try (InputStream in = open(file)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parse(file.toString(), bytes, magic);
    }

    /**
     * Parses IDX bytes already in memory.
     *
     * @param name the name to use in errors
     * @param bytes the uncompressed bytes
     * @param magic the expected magic number
     * @return the contents
     */
    static IdxFile parse(String name, byte[] bytes, int magic) {
        int rank = magic & 0xff;
        int header = 4 + 4 * rank;
        if (bytes.length < 4) {
            throw new InputException(name + " is truncated: " + bytes.length + " bytes, too short for an IDX header");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        int found = buffer.getInt();
        if (found != magic) {
            throw new InputException(
                    String.format("%s has magic number %d (0x%08x), expected %d for IDX %s", name, found, found, magic, magic == IMAGES ? "images" : "labels"));
        }
        if (bytes.length < header) {
            throw new InputException(name + " is truncated: its header needs " + header + " bytes, the file has " + bytes.length);
        }
        int[] dims = new int[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = buffer.getInt();
            if (dims[i] < 0) {
                throw new InputException(name + " has a negative dimension " + dims[i]);
            }
            expected *= dims[i];
        }
        long present = bytes.length - (long) header;
        if (present < expected) {
            throw new InputException(name + " is truncated: " + present + " bytes of data, expected " + expected);
        }
        byte[] data = new byte[(int) expected];
        System.arraycopy(bytes, header, data, 0, data.length);
        return new IdxFile(dims, data);
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file));
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new GZIPInputStream(in, 1 << 16);
        }
        return in;
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
