package org.shortrun.io;

import java.nio.file.Path;

/**
 * Checks a length or dimension read from a file before anything is allocated for it: against a sane
 * limit, and against the bytes the file still holds.
 */
public final class Bounds {

    private Bounds() {}

    /**
     * Checks a count read from a file.
     *
     * @param file the file, for the message
     * @param what what is counted, e.g. "image count"
     * @param value the value read
     * @param min the smallest acceptable value
     * @param max the largest acceptable value
     * @return the value, as an int
     * @throws DamagedFileException if it is out of bounds
     */
    public static int count(Path file, String what, long value, long min, long max) {
        if (value < min || value > max || value > Integer.MAX_VALUE) {
            throw new DamagedFileException(
                    file,
                    what
                            + " "
                            + value
                            + " is outside ["
                            + min
                            + ", "
                            + Math.min(max, Integer.MAX_VALUE)
                            + "]");
        }
        return (int) value;
    }

    /**
     * Checks that {@code items} of {@code bytesEach} bytes fit in what the file still holds and in
     * one Java array.
     *
     * @param file the file, for the message
     * @param what what is to be read, e.g. "pixels"
     * @param items the number of items
     * @param bytesEach the bytes per item
     * @param available the bytes the file still holds
     * @return the total number of bytes, as an int
     * @throws DamagedFileException if they do not fit
     */
    public static int bytes(Path file, String what, long items, long bytesEach, long available) {
        if (items < 0 || bytesEach < 0) {
            throw new DamagedFileException(file, what + ": negative size");
        }
        long total;
        try {
            total = Math.multiplyExact(items, bytesEach);
        } catch (ArithmeticException e) {
            throw new DamagedFileException(
                    file, what + ": " + items + " x " + bytesEach + " bytes overflows");
        }
        if (total > available) {
            throw new DamagedFileException(
                    file, what + " need " + total + " bytes but only " + available + " remain");
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new DamagedFileException(
                    file, what + " need " + total + " bytes, more than one array holds");
        }
        return (int) total;
    }
}
