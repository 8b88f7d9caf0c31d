package org.shortrun.eval.fid;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.ejml.data.DMatrixRMaj;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.DirectoryLock;
import org.shortrun.io.SealedFile;
import org.shortrun.io.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feature statistics of real images kept on disk, so that the 40,000 training images go through
 * Inception once. An entry is found by its key (dataset, split, count, preprocessing and network),
 * stored in the file and compared in full.
 *
 * <p>Each entry is a {@link SealedFile} of kind {@value #KIND}, format {@value #FORMAT}: its
 * SHA-256 is checked over the whole file before anything in it is believed, so one flipped bit in a
 * covariance cannot give a wrong FID that reports a hit. A damaged, truncated, foreign or
 * old-format file is never read: it is a miss, with a warning naming the file, and the caller
 * rebuilds it. Writing takes a lock beside the entry ({@code fid-stats-<hash>.lock}), so two
 * processes (or threads) that computed the same statistics write one after the other, each through
 * its own temporary file and a rename.
 */
public final class StatisticsCache {

    /** The sealed file's kind; another kind in a cache file is refused. */
    static final String KIND = "FID statistics";

    /**
     * The body's format: 2 is the first sealed one (format 1, "SRCC" files without a checksum, is
     * refused by {@link SealedFile#read} as not a sealed file and rebuilt).
     */
    static final int FORMAT = 2;

    /**
     * The largest feature dimension read back; pool_3 is 2048, and 2^15 squared doubles is 8 GiB.
     */
    static final int MAX_DIMENSION = 1 << 15;

    /** How long a writer waits for another to finish writing the same entry. */
    private static final long LOCK_WAIT_MILLIS = 120_000;

    private static final Logger logger = LoggerFactory.getLogger(StatisticsCache.class);

    /**
     * A cached entry.
     *
     * @param statistics mean and covariance
     * @param sample a uniform sample of the feature vectors for KID, or null if none was kept
     */
    public record Entry(FeatureStatistics statistics, float[][] sample) {}

    /**
     * What a look-up found.
     *
     * @param entry the entry, or null for a miss
     * @param file the file looked at
     * @param damage why the file there could not be used (one line naming it), or null if it was
     *     absent, usable, or only written for another key or without a needed sample
     */
    public record Lookup(Entry entry, Path file, String damage) {
        /**
         * @return whether the entry was found and usable
         */
        public boolean hit() {
            return entry != null;
        }
    }

    private final Path directory;

    /**
     * Creates a cache in a directory (made when first written).
     *
     * @param directory the directory
     */
    public StatisticsCache(Path directory) {
        this.directory = directory;
    }

    /**
     * The file an entry is kept in.
     *
     * @param key the entry's key
     * @return its path
     */
    public Path fileFor(String key) {
        return directory.resolve(baseName(key) + ".bin");
    }

    /**
     * The lock file taken while an entry is written.
     *
     * @param key the entry's key
     * @return its path, beside the entry
     */
    public Path lockFor(String key) {
        return directory.resolve(baseName(key) + ".lock");
    }

    private static String baseName(String key) {
        return "fid-stats-" + Sha256.hex(key).substring(0, 24);
    }

    /**
     * Reads an entry.
     *
     * @param key the entry's key
     * @param needSample whether the caller needs the KID sample; an entry without one is a miss
     * @return the entry, or empty if absent, damaged, written for another key or without a needed
     *     sample (a damaged file is also logged as a warning)
     */
    public Optional<Entry> read(String key, boolean needSample) {
        return Optional.ofNullable(lookup(key, needSample).entry());
    }

    /**
     * Looks an entry up, saying why a file that is there cannot be used. A damaged file is logged
     * as a warning, "FILE is damaged: PROBLEM; rebuilding it".
     *
     * @param key the entry's key
     * @param needSample whether the caller needs the KID sample; an entry without one is a miss
     * @return the entry, or a miss with the damage found, if any
     */
    public Lookup lookup(String key, boolean needSample) {
        Path file = fileFor(key);
        if (!Files.isRegularFile(file)) {
            return new Lookup(null, file, null);
        }
        Stored stored;
        try {
            stored = readFile(file);
        } catch (DamagedFileException e) {
            logger.warn("{}; rebuilding it", e.getMessage());
            return new Lookup(null, file, e.getMessage());
        } catch (IOException e) {
            String damage = file + " cannot be read: " + e.getMessage();
            logger.warn("{}; rebuilding it", damage);
            return new Lookup(null, file, damage);
        }
        if (!stored.key().equals(key) || (needSample && stored.entry().sample() == null)) {
            // a whole file, only for other images (a hash collision) or without KID's sample
            return new Lookup(null, file, null);
        }
        return new Lookup(stored.entry(), file, null);
    }

    /** A whole entry file as read, with the key it was written for. */
    record Stored(String key, Entry entry) {}

    /**
     * Reads and checks an entry file, whatever its key.
     *
     * @param file the file
     * @return its key and entry
     * @throws DamagedFileException if it is not a whole, well-formed entry of this format
     * @throws IOException if it cannot be read at all
     */
    static Stored readFile(Path file) throws IOException {
        return SealedFile.read(
                file,
                KIND,
                FORMAT,
                in -> {
                    String key;
                    try {
                        key = in.readUTF();
                    } catch (UTFDataFormatException e) {
                        throw new DamagedFileException(file, "its key is not UTF-8", e);
                    }
                    int d = in.readCount("feature dimension", 1, MAX_DIMENSION);
                    long count = in.readLong();
                    if (count < 2) {
                        throw new DamagedFileException(
                                file, "feature count " + count + " is below 2");
                    }
                    double[] mean = doubles(in.readBytes("mean", d, Double.BYTES));
                    DMatrixRMaj cov =
                            DMatrixRMaj.wrap(
                                    d,
                                    d,
                                    doubles(
                                            in.readBytes(
                                                    "covariance", (long) d * d, Double.BYTES)));
                    int rows = in.readCount("KID sample rows", 0, Integer.MAX_VALUE);
                    float[][] sample = null;
                    if (rows > 0) {
                        // checked as a whole before the rows are allocated
                        FloatBuffer values =
                                ByteBuffer.wrap(
                                                in.readBytes(
                                                        "KID sample", (long) rows * d, Float.BYTES))
                                        .asFloatBuffer();
                        sample = new float[rows][d];
                        for (float[] row : sample) {
                            values.get(row);
                        }
                    }
                    return new Stored(
                            key, new Entry(new FeatureStatistics(mean, cov, count), sample));
                });
    }

    private static double[] doubles(byte[] bytes) {
        double[] values = new double[bytes.length / Double.BYTES];
        ByteBuffer.wrap(bytes).asDoubleBuffer().get(values);
        return values;
    }

    /**
     * Writes an entry as a sealed file, under the entry's lock: through a temporary file, forced to
     * disk and renamed, so that a crash leaves either the old file or the new one.
     *
     * @param key the entry's key
     * @param entry the entry
     * @return the file written
     * @throws IOException if writing fails
     * @throws org.shortrun.InputException if another writer holds the entry's lock for more than
     *     two minutes
     */
    public Path write(String key, Entry entry) throws IOException {
        Path file = fileFor(key);
        FeatureStatistics stats = entry.statistics();
        int d = stats.getDimension();
        float[][] sample = entry.sample();
        if (sample != null) {
            for (float[] row : sample) {
                if (row.length != d) {
                    throw new IllegalArgumentException(
                            "KID sample rows must have " + d + " values, got " + row.length);
                }
            }
        }
        try (DirectoryLock lock =
                DirectoryLock.acquireWaiting(
                        lockFor(key), "FID statistics cache entry " + file, LOCK_WAIT_MILLIS)) {
            SealedFile.write(file, KIND, FORMAT, out -> writeBody(out, key, stats, sample));
        }
        return file;
    }

    private static void writeBody(
            DataOutputStream out, String key, FeatureStatistics stats, float[][] sample)
            throws IOException {
        out.writeUTF(key);
        out.writeInt(stats.getDimension());
        out.writeLong(stats.getCount());
        for (double v : stats.meanView()) {
            out.writeDouble(v);
        }
        for (double v : stats.covarianceView().data) {
            out.writeDouble(v);
        }
        out.writeInt(sample == null ? 0 : sample.length);
        if (sample != null) {
            for (float[] row : sample) {
                for (float v : row) {
                    out.writeFloat(v);
                }
            }
        }
    }
}
