package org.shortrun.eval.fid;

import ai.djl.ndarray.NDManager;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Inception statistics of real images, from the cache when an entry with the same key exists. The
 * key covers the images (source, split, count, size), the network file and its convention, so a
 * changed file or another network is a miss, never a wrong hit.
 *
 * @param entry the statistics, with a KID sample if one was asked for
 * @param cacheStatus "hit", "written FILE", "rebuilt (FILE is damaged: PROBLEM)" when the entry
 *     there could not be used, or "off"
 */
public record RealStatistics(StatisticsCache.Entry entry, String cacheStatus) {

    /**
     * Reads the statistics from the cache, or extracts them and writes them there.
     *
     * @param net the network
     * @param networkFile the file it was loaded from (its path, size and time are in the key)
     * @param images the real images
     * @param count how many of them, from the first
     * @param sourceKey what identifies the images, e.g. dataset, directory, split and size
     * @param cacheDir the cache directory, or null for no cache
     * @param kidPool feature vectors to keep for KID, or 0 for none
     * @param seed the seed of the KID sample
     * @param batchSize images per Inception batch
     * @param progress told how extraction goes, or null
     * @param manager under which each batch's scope is opened
     * @return the statistics and what the cache did
     * @throws IOException if the network file cannot be read or the cache cannot be written
     */
    public static RealStatistics get(
            InceptionNetwork net,
            Path networkFile,
            FeatureExtraction.Images images,
            int count,
            String sourceKey,
            Path cacheDir,
            int kidPool,
            int seed,
            int batchSize,
            Progress progress,
            NDManager manager)
            throws IOException {
        Path file = networkFile.toAbsolutePath().normalize();
        String key =
                sourceKey
                        + ";count="
                        + count
                        + ";inception="
                        + file
                        + ";bytes="
                        + Files.size(file)
                        + ";modified="
                        + Files.getLastModifiedTime(file).toMillis()
                        + ";convention="
                        + net.getConvention()
                        + ";dim="
                        + net.getFeatureDim()
                        + ";levels=256";
        StatisticsCache cache = cacheDir != null ? new StatisticsCache(cacheDir) : null;
        StatisticsCache.Lookup cached = cache != null ? cache.lookup(key, kidPool > 0) : null;
        if (cached != null && cached.hit()) {
            return new RealStatistics(cached.entry(), "hit");
        }
        FeatureReservoir pool =
                kidPool > 0 ? new FeatureReservoir(kidPool, new Random(seed)) : null;
        FeatureStatistics stats =
                FidEvaluation.extract(
                        net, images, count, batchSize, pool, manager, progress, "real");
        StatisticsCache.Entry entry =
                new StatisticsCache.Entry(stats, pool != null ? pool.rows() : null);
        if (cache == null) {
            return new RealStatistics(entry, "off");
        }
        Path written = cache.write(key, entry);
        // a damaged entry is never read; the report says it was replaced, not that it was a hit
        return new RealStatistics(
                entry,
                cached.damage() != null
                        ? "rebuilt (" + cached.damage() + ")"
                        : "written " + written);
    }
}
