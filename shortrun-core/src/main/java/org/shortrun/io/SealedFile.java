package org.shortrun.io;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A binary file that says what it is and proves it is whole: the magic {@code SHORTRUN}, its kind
 * and format version, the body, the body's length, and a SHA-256 of everything before it. {@link
 * #read} checks the checksum over the whole file before the body is parsed, so a damaged, truncated
 * or rewritten file is refused before anything in it is believed. {@link #write} writes a temporary
 * file, forces it to disk and renames it into place.
 */
public final class SealedFile {

    private static final byte[] MAGIC = "SHORTRUN".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGEST = 32;
    private static final int TRAILER = Long.BYTES + DIGEST;

    private SealedFile() {}

    /** Writes a sealed file's body. */
    @FunctionalInterface
    public interface Body {
        /**
         * Writes the body.
         *
         * @param out the stream
         * @throws IOException if writing fails
         */
        void write(DataOutputStream out) throws IOException;
    }

    /**
     * Parses a sealed file's body, once its checksum has been verified.
     *
     * @param <T> what is read
     */
    @FunctionalInterface
    public interface Parser<T> {
        /**
         * Reads the body.
         *
         * @param in the body, which knows how many bytes remain
         * @return what was read
         * @throws IOException if reading fails
         */
        T read(Input in) throws IOException;
    }

    /** A sealed file's body as a stream that knows its file and how many bytes it has left. */
    public static final class Input extends DataInputStream {
        private final Path file;
        private final BoundedInputStream counting;

        private Input(Path file, BoundedInputStream counting) {
            super(counting);
            this.file = file;
            this.counting = counting;
        }

        /**
         * @return the file being read
         */
        public Path file() {
            return file;
        }

        /**
         * @return the body's bytes not read yet
         */
        public long remaining() {
            return counting.remaining();
        }

        /**
         * Reads an int and checks it against bounds, see {@link Bounds#count}.
         *
         * @param what what it counts
         * @param min the smallest acceptable value
         * @param max the largest acceptable value
         * @return the value
         * @throws IOException if reading fails
         */
        public int readCount(String what, long min, long max) throws IOException {
            return Bounds.count(file, what, readInt(), min, max);
        }

        /**
         * Reads {@code items x bytesEach} bytes after checking that the body holds them.
         *
         * @param what what is read
         * @param items the number of items
         * @param bytesEach bytes per item
         * @return the bytes
         * @throws IOException if reading fails
         */
        public byte[] readBytes(String what, long items, long bytesEach) throws IOException {
            byte[] bytes = new byte[Bounds.bytes(file, what, items, bytesEach, remaining())];
            readFully(bytes);
            return bytes;
        }
    }

    /**
     * Writes a sealed file atomically: to a temporary sibling, forced to disk, then renamed over
     * {@code file}. On failure the temporary file is removed and {@code file} is left as it was.
     *
     * @param file the file
     * @param kind what it holds, e.g. "FID statistics"; {@link #read} refuses another kind
     * @param format the body's format version; {@link #read} refuses another
     * @param body writes the body
     * @throws IOException if writing fails
     */
    public static void write(Path file, String kind, int format, Body body) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp =
                parent.resolve(
                        file.getFileName()
                                + ".tmp-"
                                + ProcessHandle.current().pid()
                                + "-"
                                + Thread.currentThread().getId());
        MessageDigest sha = Sha256.digest();
        try {
            try (FileChannel channel =
                    FileChannel.open(
                            tmp,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE)) {
                OutputStream raw =
                        new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20);
                DataOutputStream out = new DataOutputStream(new DigestOutputStream(raw, sha));
                out.write(MAGIC);
                out.writeUTF(kind);
                out.writeInt(format);
                int header = out.size();
                body.write(out);
                out.writeLong((long) out.size() - header);
                out.flush();
                raw.write(sha.digest());
                raw.flush();
                channel.force(true);
            }
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Reads a sealed file: checks its size, its SHA-256 over every byte, its kind and format, and
     * then parses the body, which must be read to its end.
     *
     * @param file the file
     * @param kind the kind expected
     * @param format the format version expected
     * @param parser reads the body
     * @param <T> what is read
     * @return what the parser returned
     * @throws DamagedFileException if the file is not a whole sealed file of this kind and format,
     *     or its body does not parse
     * @throws IOException if the file cannot be read at all (missing, unreadable)
     */
    public static <T> T read(Path file, String kind, int format, Parser<T> parser)
            throws IOException {
        long size = Files.size(file);
        if (size < MAGIC.length + 2 + Integer.BYTES + TRAILER) {
            throw new DamagedFileException(
                    file,
                    "it is too short (" + size + " bytes) to be a shortrun " + kind + " file");
        }
        long bodyLength;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MessageDigest sha = Sha256.digest();
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            long hashed = 0;
            long toHash = size - DIGEST;
            while (hashed < toHash) {
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), toHash - hashed));
                int n = channel.read(buffer, hashed);
                if (n < 0) {
                    throw new DamagedFileException(file, "it changed while being read");
                }
                buffer.flip();
                sha.update(buffer);
                hashed += n;
            }
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER);
            while (trailer.hasRemaining()) {
                if (channel.read(trailer, size - TRAILER + trailer.position()) < 0) {
                    throw new DamagedFileException(file, "it changed while being read");
                }
            }
            trailer.flip();
            bodyLength = trailer.getLong();
            byte[] stored = new byte[DIGEST];
            trailer.get(stored);
            if (!Arrays.equals(stored, sha.digest())) {
                throw new DamagedFileException(
                        file, "its SHA-256 does not match its contents (damaged or truncated)");
            }
        }
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new DamagedFileException(file, "it is not a shortrun file");
            }
            String storedKind = in.readUTF();
            if (!storedKind.equals(kind)) {
                throw new DamagedFileException(file, "it holds " + storedKind + ", not " + kind);
            }
            int storedFormat = in.readInt();
            if (storedFormat != format) {
                throw new DamagedFileException(
                        file,
                        "it is "
                                + kind
                                + " format "
                                + storedFormat
                                + ", this build reads format "
                                + format);
            }
            long header =
                    MAGIC.length + 2 + kind.getBytes(StandardCharsets.UTF_8).length + Integer.BYTES;
            if (bodyLength != size - header - TRAILER) {
                throw new DamagedFileException(
                        file, "its recorded length " + bodyLength + " does not match its size");
            }
            Input body = new Input(file, new BoundedInputStream(in, bodyLength));
            T value;
            try {
                value = parser.read(body);
            } catch (EOFException e) {
                throw new DamagedFileException(file, "its body ends early", e);
            }
            if (body.remaining() != 0) {
                throw new DamagedFileException(file, body.remaining() + " bytes follow its body");
            }
            return value;
        }
    }
}
