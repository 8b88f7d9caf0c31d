package org.shortrun.eval;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Feature statistics of real images kept on disk, so that the 40,000 training images go through
 * Inception once. An entry is found by its key (dataset, split, count, preprocessing and
 * network), stored in the file and compared in full; a damaged or foreign file is a miss.
 */
public final class StatisticsCache {

    private static final int MAGIC = 0x53524343; // "SRCC"

    /**
     * A cached entry.
     *
     * @param statistics mean and covariance
     * @param sample a uniform sample of the feature vectors for KID, or null if none was kept
     */
    public record Entry(FeatureStatistics statistics, float[][] sample) {}

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
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return directory.resolve("fid-stats-" + HexFormat.of().formatHex(digest, 0, 12) + ".bin");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads an entry.
     *
     * @param key the entry's key
     * @param needSample whether the caller needs the KID sample; an entry without one is a miss
     * @return the entry, or empty if absent, damaged, written for another key or without a
     *     needed sample
     */
    public Optional<Entry> read(String key, boolean needSample) {
        Path file = fileFor(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            DataInputStream data = new DataInputStream(in);
            if (data.readInt() != MAGIC || !key.equals(data.readUTF())) {
                return Optional.empty();
            }
            FeatureStatistics stats = FeatureStatistics.read(data);
            int rows = data.readInt();
            if (needSample && rows == 0) {
                return Optional.empty();
            }
            float[][] sample = null;
            if (rows > 0) {
                int d = stats.getDimension();
                sample = new float[rows][d];
                for (float[] row : sample) {
                    for (int j = 0; j < d; j++) {
                        row[j] = data.readFloat();
                    }
                }
            }
            if (data.readInt() != MAGIC) {
                return Optional.empty();
            }
            return Optional.of(new Entry(stats, sample));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes an entry through a temporary file and a rename, so that a crash leaves either the
     * old file or the new one.
     *
     * @param key the entry's key
     * @param entry the entry
     * @return the file written
     * @throws IOException if writing fails
     */
    public Path write(String key, Entry entry) throws IOException {
        Files.createDirectories(directory);
        Path file = fileFor(key);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
            DataOutputStream data = new DataOutputStream(out);
            data.writeInt(MAGIC);
            data.writeUTF(key);
            entry.statistics().write(data);
            float[][] sample = entry.sample();
            data.writeInt(sample == null ? 0 : sample.length);
            if (sample != null) {
                for (float[] row : sample) {
                    for (float v : row) {
                        data.writeFloat(v);
                    }
                }
            }
            data.writeInt(MAGIC);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
