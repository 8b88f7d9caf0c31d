package org.shortrun.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;
import org.shortrun.io.BoundedInputStream;
import org.shortrun.io.DamagedFileException;

/**
 * Walks a MATLAB Level-5 file's structure before MFL is given it, since MFL believes the sizes it
 * reads and allocates for them: every element's size against the bytes that hold it, every
 * compressed element inflated to its end (which verifies its zlib Adler-32) and to exactly the size
 * it declares, and every variable's dimensions against its data. Only numeric arrays are accepted,
 * which is what SVHN's files hold.
 */
final class Mat5Check {

    static final int HEADER = 128;

    private static final int MI_INT8 = 1;
    private static final int MI_INT32 = 5;
    private static final int MI_UINT32 = 6;
    private static final int MI_MATRIX = 14;
    private static final int MI_COMPRESSED = 15;

    /** The first and last numeric MATLAB classes: double, single, int8 ... uint64. */
    private static final int FIRST_NUMERIC_CLASS = 6;

    private static final int LAST_NUMERIC_CLASS = 15;
    private static final int COMPLEX = 0x800;
    private static final int MAX_DIMENSIONS = 32;
    private static final int MAX_NAME = 4096;

    /** Deflate cannot expand data by more than about 1032 to 1, so a larger claim is a lie. */
    private static final long DEFLATE_RATIO = 1032;

    private final Path file;
    private boolean littleEndian;

    private Mat5Check(Path file) {
        this.file = file;
    }

    /**
     * Checks a file's structure.
     *
     * @param file the file
     * @throws DamagedFileException naming the file and what is wrong
     * @throws IOException if it cannot be read
     */
    static void check(Path file) throws IOException {
        new Mat5Check(file).run();
    }

    private void run() throws IOException {
        long size = Files.size(file);
        try (BoundedInputStream in =
                new BoundedInputStream(
                        new BufferedInputStream(Files.newInputStream(file), 1 << 16), size)) {
            byte[] header = in.readNBytes(HEADER);
            if (header.length < HEADER) {
                throw damaged(
                        "it is truncated: " + header.length + " bytes, shorter than a MAT header");
            }
            if (header[126] == 'I' && header[127] == 'M') {
                littleEndian = true;
            } else if (header[126] != 'M' || header[127] != 'I') {
                throw damaged("it has no MAT v5 endian indicator (bytes 126-127 are not IM or MI)");
            }
            for (int i = 116; i < 124; i++) {
                if (header[i] != 0 && header[i] != ' ') {
                    throw damaged(
                            "it has a subsystem data offset (MATLAB objects), which SVHN files do"
                                    + " not have");
                }
            }
            int version =
                    littleEndian
                            ? (header[124] & 0xff) | (header[125] & 0xff) << 8
                            : (header[124] & 0xff) << 8 | (header[125] & 0xff);
            if (version != 0x0100) {
                throw damaged("its MAT version is " + version + ", expected 256 (Level 5)");
            }
            int variables = 0;
            while (in.remaining() > 0) {
                long at = size - in.remaining();
                if (in.remaining() < 8) {
                    throw damaged(
                            "it ends with " + in.remaining() + " stray bytes at offset " + at);
                }
                int type = readInt(in);
                long length = Integer.toUnsignedLong(readInt(in));
                if (length > in.remaining()) {
                    throw damaged(
                            "it is truncated: the element at offset "
                                    + at
                                    + " declares "
                                    + length
                                    + " bytes but only "
                                    + in.remaining()
                                    + " remain");
                }
                if (type == MI_COMPRESSED) {
                    compressed(in, length, at);
                } else if (type == MI_MATRIX) {
                    long padded = length + padding(length);
                    if (padded > in.remaining()) {
                        throw damaged("the element at offset " + at + " is truncated");
                    }
                    BoundedInputStream body = new BoundedInputStream(in, length);
                    matrix(body, at);
                    in.skipNBytes(padded - length);
                } else {
                    throw damaged(
                            "the element at offset "
                                    + at
                                    + " has type "
                                    + type
                                    + ", expected a matrix (14) or a compressed one (15)");
                }
                variables++;
            }
            if (variables == 0) {
                throw damaged("it holds no variables");
            }
        } catch (EOFException e) {
            throw damaged("it is truncated", e);
        }
    }

    private void compressed(BoundedInputStream in, long length, long at) throws IOException {
        BoundedInputStream slice = new BoundedInputStream(in, length);
        Inflater inflater = new Inflater();
        try {
            InflaterInputStream inflated = new InflaterInputStream(slice, inflater, 8192);
            DataInputStream data = new DataInputStream(inflated);
            int type;
            long inner;
            try {
                type = readInt(data);
                inner = Integer.toUnsignedLong(readInt(data));
            } catch (ZipException | EOFException e) {
                throw damaged(
                        "the compressed element at offset "
                                + at
                                + " does not inflate ("
                                + e.getMessage()
                                + ")",
                        e);
            }
            if (type != MI_MATRIX) {
                throw damaged(
                        "the compressed element at offset "
                                + at
                                + " holds type "
                                + type
                                + ", expected a matrix (14)");
            }
            if (inner > DEFLATE_RATIO * length || inner > Integer.MAX_VALUE - 8) {
                throw damaged(
                        "the compressed element at offset "
                                + at
                                + " declares "
                                + inner
                                + " bytes, more than its "
                                + length
                                + " compressed bytes can hold");
            }
            try {
                matrix(new BoundedInputStream(data, inner), at);
                if (data.read() >= 0) {
                    throw damaged(
                            "the compressed element at offset "
                                    + at
                                    + " inflates to more than the "
                                    + (inner + 8)
                                    + " bytes it declares");
                }
            } catch (ZipException e) {
                throw damaged(
                        "the compressed element at offset "
                                + at
                                + " fails its zlib check ("
                                + e.getMessage()
                                + ")",
                        e);
            } catch (EOFException e) {
                throw damaged(
                        "the compressed element at offset "
                                + at
                                + " ends before the "
                                + (inner + 8)
                                + " bytes it declares ("
                                + e.getMessage()
                                + ")",
                        e);
            }
            long unused = inflater.getRemaining() + slice.remaining();
            if (unused != 0) {
                throw damaged(
                        "the compressed element at offset "
                                + at
                                + " has "
                                + unused
                                + " bytes after its zlib stream");
            }
        } finally {
            inflater.end();
        }
    }

    /** Checks a matrix element's body: flags, dimensions, name, real (and imaginary) data. */
    private void matrix(BoundedInputStream body, long at) throws IOException {
        String where = "the variable at offset " + at;
        long[] flags = subelement(body, where + " flags");
        if (flags[0] != MI_UINT32 || flags[1] != 8) {
            throw damaged(where + " has no array flags");
        }
        int word = readInt(body);
        readInt(body);
        int matlabClass = word & 0xff;
        if (matlabClass < FIRST_NUMERIC_CLASS || matlabClass > LAST_NUMERIC_CLASS) {
            throw damaged(
                    where
                            + " is of MATLAB class "
                            + matlabClass
                            + ", not a numeric array (SVHN files hold numeric X and y)");
        }
        long[] dimsTag = subelement(body, where + " dimensions");
        if (dimsTag[0] != MI_INT32
                || dimsTag[1] < 8
                || dimsTag[1] % 4 != 0
                || dimsTag[1] > 4 * MAX_DIMENSIONS) {
            throw damaged(
                    where
                            + " has no valid dimensions (type "
                            + dimsTag[0]
                            + ", "
                            + dimsTag[1]
                            + " bytes)");
        }
        long elements = 1;
        for (int i = 0; i < dimsTag[1] / 4; i++) {
            int d = readInt(body);
            if (d < 0) {
                throw damaged(where + " has a negative dimension " + d);
            }
            elements = Math.multiplyExact(elements, d);
            if (elements > Integer.MAX_VALUE) {
                throw damaged(where + " has more than " + Integer.MAX_VALUE + " elements");
            }
        }
        skipPadding(body, dimsTag);
        long[] nameTag = subelement(body, where + " name");
        if (nameTag[0] != MI_INT8 || nameTag[1] > MAX_NAME) {
            throw damaged(
                    where
                            + " has no valid name (type "
                            + nameTag[0]
                            + ", "
                            + nameTag[1]
                            + " bytes)");
        }
        body.skipNBytes(nameTag[1]);
        skipPadding(body, nameTag);
        for (int part = 0; part < ((word & COMPLEX) != 0 ? 2 : 1); part++) {
            long[] data = subelement(body, where + " data");
            int bytesEach = bytesEach((int) data[0]);
            if (bytesEach == 0) {
                throw damaged(where + " has data of type " + data[0] + ", not a numeric type");
            }
            if (data[1] != elements * bytesEach) {
                throw damaged(
                        where
                                + " has "
                                + data[1]
                                + " bytes of data for "
                                + elements
                                + " elements of "
                                + bytesEach
                                + " bytes");
            }
            body.skipNBytes(data[1]);
            skipPadding(body, data);
        }
        if (body.remaining() != 0) {
            throw damaged(where + " has " + body.remaining() + " bytes after its data");
        }
    }

    /**
     * Reads a subelement's tag, in either the normal or the small (four bytes of data inside the
     * tag) format, and checks that its data fits in what its element has left.
     *
     * @return type, size, and 1 if it is small
     */
    private long[] subelement(BoundedInputStream body, String what) throws IOException {
        if (body.remaining() < 8) {
            throw damaged(what + ": its element ends early");
        }
        int word = readInt(body);
        if ((word >>> 16) != 0) {
            long size = word >>> 16;
            if (size > 4) {
                throw damaged(what + ": a small element of " + size + " bytes");
            }
            return new long[] {word & 0xffff, size, 1};
        }
        long size = Integer.toUnsignedLong(readInt(body));
        if (size + padding(size) > body.remaining()) {
            throw damaged(
                    what
                            + " declares "
                            + size
                            + " bytes but its element has "
                            + body.remaining()
                            + " left");
        }
        return new long[] {word, size, 0};
    }

    private static void skipPadding(BoundedInputStream body, long[] tag) throws IOException {
        body.skipNBytes(tag[2] == 1 ? 4 - tag[1] : padding(tag[1]));
    }

    private static long padding(long size) {
        return (8 - size % 8) % 8;
    }

    private static int bytesEach(int type) {
        return switch (type) {
            case 1, 2 -> 1; // int8, uint8
            case 3, 4 -> 2; // int16, uint16
            case 5, 6, 7 -> 4; // int32, uint32, single
            case 9, 12, 13 -> 8; // double, int64, uint64
            default -> 0;
        };
    }

    private int readInt(InputStream in) throws IOException {
        int b0 = in.read();
        int b1 = in.read();
        int b2 = in.read();
        int b3 = in.read();
        if ((b0 | b1 | b2 | b3) < 0) {
            throw new EOFException();
        }
        return littleEndian
                ? b0 | b1 << 8 | b2 << 16 | b3 << 24
                : b0 << 24 | b1 << 16 | b2 << 8 | b3;
    }

    private DamagedFileException damaged(String problem) {
        return new DamagedFileException(file, problem);
    }

    private DamagedFileException damaged(String problem, Throwable cause) {
        return new DamagedFileException(file, problem, cause);
    }
}
