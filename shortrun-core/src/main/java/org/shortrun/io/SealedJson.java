package org.shortrun.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JSON file that stays readable by people and proves it is whole: its first line names its kind,
 * its format version and the SHA-256 of the exact bytes of its {@code "content"}, which follows as
 * ordinary JSON. {@link #read} checks all three before the content is parsed, so a flipped bit in a
 * key or a value is refused, never read as something else.
 */
public final class SealedJson {

    private static final Pattern HEADER =
            Pattern.compile(
                    "\\A\\{\"kind\": \"([^\"\\\\\\n"
                        + "]{1,100})\", \"format\": (\\d{1,9}), \"sha256\": \"([0-9a-f]{64})\",\n"
                        + "\"content\": ");
    private static final String END = "\n}\n";

    private SealedJson() {}

    /**
     * Renders a sealed JSON document.
     *
     * @param kind what it holds, e.g. "checkpoint state"
     * @param format the content's format version
     * @param content the content, a JSON value
     * @return the file's bytes
     */
    public static byte[] seal(String kind, int format, String content) {
        String header =
                "{\"kind\": \""
                        + kind
                        + "\", \"format\": "
                        + format
                        + ", \"sha256\": \""
                        + Sha256.hex(content)
                        + "\",\n\"content\": ";
        if (!HEADER.matcher(header).find()) {
            throw new IllegalArgumentException("kind must be plain text, got " + kind);
        }
        return (header + content + END).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads and verifies a sealed JSON file.
     *
     * @param file the file
     * @param kind the kind expected
     * @param format the format version expected
     * @param maxBytes the largest file accepted, checked before it is read
     * @return the content, verified, to be parsed
     * @throws DamagedFileException if the file is too large, not sealed, of another kind or format,
     *     or its content does not match its checksum
     * @throws IOException if it cannot be read
     */
    public static String read(Path file, String kind, int format, long maxBytes)
            throws IOException {
        return read(file, kind, format, format, maxBytes);
    }

    /**
     * Reads a sealed file written in any of a range of formats, checking its kind and its SHA-256.
     *
     * @param file the file
     * @param kind what it must hold
     * @param oldest the oldest format this build still reads
     * @param format the format this build writes
     * @param maxBytes the most bytes such a file can have
     * @return the content, whose own fields say its format
     * @throws IOException if it cannot be read
     * @throws DamagedFileException if it is not a sealed file of this kind and a format in range,
     *     or its content does not match its SHA-256
     */
    public static String read(Path file, String kind, int oldest, int format, long maxBytes)
            throws IOException {
        long size = Files.size(file);
        if (size > maxBytes) {
            throw new DamagedFileException(
                    file,
                    "it is "
                            + size
                            + " bytes, more than the "
                            + maxBytes
                            + " a "
                            + kind
                            + " file can be");
        }
        String text;
        try {
            text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                            .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new DamagedFileException(file, "it is not UTF-8 text", e);
        }
        Matcher m = HEADER.matcher(text);
        if (!m.find() || !text.endsWith(END)) {
            throw new DamagedFileException(
                    file,
                    "its first line is not a shortrun "
                            + kind
                            + " header, or its end is missing (damaged, or an unsealed file of an"
                            + " earlier build)");
        }
        if (!m.group(1).equals(kind)) {
            throw new DamagedFileException(file, "it holds " + m.group(1) + ", not " + kind);
        }
        int stored = Integer.parseInt(m.group(2));
        if (stored < oldest || stored > format) {
            throw new DamagedFileException(
                    file,
                    "it is "
                            + kind
                            + " format "
                            + stored
                            + ", this build reads format "
                            + (oldest == format ? "" : oldest + " to ")
                            + format);
        }
        String content = text.substring(m.end(), text.length() - END.length());
        if (!Sha256.hex(content).equals(m.group(3))) {
            throw new DamagedFileException(
                    file, "its content does not match its SHA-256 (damaged or edited)");
        }
        return content;
    }
}
