package org.shortrun.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 in lowercase hex: of bytes, of text as UTF-8, and of a file read as a stream. */
public final class Sha256 {

    private Sha256() {}

    /**
     * @return a fresh SHA-256 digest, which every Java platform has
     */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Hashes bytes.
     *
     * @param bytes the bytes
     * @return 64 hex digits
     */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /**
     * Hashes text as UTF-8.
     *
     * @param text the text
     * @return 64 hex digits
     */
    public static String hex(String text) {
        return hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Hashes a file without holding it in memory.
     *
     * @param file the file
     * @return 64 hex digits
     * @throws IOException if it cannot be read
     */
    public static String hex(Path file) throws IOException {
        MessageDigest digest = digest();
        try (InputStream in =
                new DigestInputStream(
                        new BufferedInputStream(Files.newInputStream(file), 1 << 16), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
