package org.shortrun.cli;

import ai.djl.ndarray.NDManager;

import org.shortrun.eval.FeatureReservoir;
import org.shortrun.eval.FeatureStatistics;
import org.shortrun.eval.InceptionNetwork;
import org.shortrun.eval.StatisticsCache;
import org.shortrun.training.ImageSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;

/**
 * Inception statistics of real images, from the cache when an entry with the same key exists.
 * The key covers the images (source, split, count, size), the network file and its convention.
 *
 * @param entry the statistics, with a KID sample if one was asked for
 * @param cacheStatus "hit", "written FILE" or "off"
 */
record RealStatistics(StatisticsCache.Entry entry, String cacheStatus) {

    static RealStatistics get(
            InceptionNetwork net,
            Path networkFile,
            ImageSource images,
            int count,
            String sourceKey,
            Path cacheDir,
            int kidPool,
            int seed,
            int batchSize,
            NDManager manager)
            throws IOException {
        Path file = networkFile.toAbsolutePath().normalize();
        String key =
                sourceKey + ";count=" + count + ";inception=" + file + ";bytes=" + Files.size(file) + ";modified=" + Files.getLastModifiedTime(file).toMillis()
                        + ";convention=" + net.getConvention() + ";dim=" + net.getFeatureDim() + ";levels=256";
        StatisticsCache cache = cacheDir != null ? new StatisticsCache(cacheDir) : null;
        Optional<StatisticsCache.Entry> cached = cache != null ? cache.read(key, kidPool > 0) : Optional.empty();
        if (cached.isPresent()) {
            return new RealStatistics(cached.get(), "hit");
        }
        FeatureReservoir pool = kidPool > 0 ? new FeatureReservoir(kidPool, new Random(seed)) : null;
        FeatureStatistics stats =
                FidCommand.extract(net, images::batch, count, batchSize, pool, manager, "real");
        StatisticsCache.Entry entry = new StatisticsCache.Entry(stats, pool != null ? pool.rows() : null);
        if (cache == null) {
            return new RealStatistics(entry, "off");
        }
        return new RealStatistics(entry, "written " + cache.write(key, entry));
    }
}
