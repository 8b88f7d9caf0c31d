package org.shortrun.eval.fid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.DirectoryLock;
import org.shortrun.io.Fuzz;
import org.shortrun.io.SealedFile;

/**
 * The real-statistics cache: sealed entries, never read when damaged, written one writer at a time.
 */
class StatisticsCacheTest {

    private static final String KEY = "mnist;train;count=20;inception=/n.pt";

    @TempDir Path dir;

    /** Seeded statistics of dimension d, with a KID sample of {@code rows} rows (none if 0). */
    private static StatisticsCache.Entry entry(int d, int rows, long seed) {
        Random random = new Random(seed);
        double[] mean = new double[d];
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            mean[i] = random.nextGaussian();
            for (int j = 0; j < d; j++) {
                cov.data[i * d + j] = random.nextGaussian();
            }
        }
        float[][] sample = rows == 0 ? null : new float[rows][d];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < d; j++) {
                sample[r][j] = (float) random.nextGaussian();
            }
        }
        return new StatisticsCache.Entry(new FeatureStatistics(mean, cov, 20), sample);
    }

    private static void assertSame(StatisticsCache.Entry expected, StatisticsCache.Entry actual) {
        assertArrayEquals(expected.statistics().getMean(), actual.statistics().getMean(), 0.0);
        assertArrayEquals(
                expected.statistics().getCovariance().data,
                actual.statistics().getCovariance().data,
                0.0);
        assertEquals(expected.statistics().getCount(), actual.statistics().getCount());
        if (expected.sample() == null) {
            assertNull(actual.sample());
        } else {
            assertEquals(expected.sample().length, actual.sample().length);
            for (int r = 0; r < expected.sample().length; r++) {
                assertArrayEquals(expected.sample()[r], actual.sample()[r], 0f);
            }
        }
    }

    @Test
    void anEntryReadsBackWithItsSampleAndLeavesNoTemporaryFile() throws IOException {
        StatisticsCache cache = new StatisticsCache(dir);
        StatisticsCache.Entry written = entry(5, 3, 1);
        Path file = cache.write(KEY, written);
        assertEquals(cache.fileFor(KEY), file);
        StatisticsCache.Lookup found = cache.lookup(KEY, true);
        assertTrue(found.hit());
        assertNull(found.damage());
        assertSame(written, found.entry());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of(
                            file.getFileName().toString(),
                            cache.lockFor(KEY).getFileName().toString()),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "the entry and its lock, nothing else");
        }
        assertEquals("", Files.readString(cache.lockFor(KEY)), "the lock is released");
        assertFalse(cache.lookup("another key", false).hit());
        assertNull(cache.lookup("another key", false).damage(), "an absent entry is a plain miss");
    }

    @Test
    void anEntryWithoutANeededSampleOrForAnotherKeyIsAMissNotDamage() throws IOException {
        StatisticsCache cache = new StatisticsCache(dir);
        cache.write(KEY, entry(4, 0, 2));
        assertTrue(cache.lookup(KEY, false).hit());
        StatisticsCache.Lookup noSample = cache.lookup(KEY, true);
        assertFalse(noSample.hit());
        assertNull(noSample.damage());
        // the same file read under another key, as after a collision of the name's hash
        Path other = new StatisticsCache(dir).fileFor("other");
        Files.copy(cache.fileFor(KEY), other);
        StatisticsCache.Lookup collision = cache.lookup("other", false);
        assertFalse(collision.hit());
        assertNull(collision.damage());
    }

    @Test
    void everyFlippedBitIsAMissNamingTheFile() throws IOException {
        StatisticsCache cache = new StatisticsCache(dir);
        Path file = cache.write(KEY, entry(3, 2, 3));
        byte[] good = Files.readAllBytes(file);
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(file, bad);
            DamagedFileException e =
                    assertThrows(
                            DamagedFileException.class,
                            () -> StatisticsCache.readFile(file),
                            "bit " + bit + " was read as good");
            assertTrue(e.getMessage().startsWith(file + " is damaged: "), e.getMessage());
            if (bit % 97 == 0) {
                // the look-up the cache's users make (one in 97, to keep the log short: each warns)
                StatisticsCache.Lookup found = cache.lookup(KEY, false);
                assertFalse(found.hit(), "bit " + bit + " was read as good");
                assertEquals(e.getMessage(), found.damage());
                assertFalse(cache.read(KEY, false).isPresent());
            }
        }
        Files.write(file, good);
        assertTrue(cache.lookup(KEY, false).hit(), "the original still reads");
    }

    @Test
    void oldForeignAndTruncatedFilesAreMissesSayingWhy() throws IOException {
        StatisticsCache cache = new StatisticsCache(dir);
        Path file = cache.fileFor(KEY);
        // format 1: magic "SRCC", the key, the statistics, no checksum
        ByteArrayOutputStream old = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(old);
        out.writeInt(0x53524343);
        out.writeUTF(KEY);
        entry(3, 0, 4).statistics().write(out);
        out.writeInt(0);
        out.writeInt(0x53524343);
        Files.write(file, old.toByteArray());
        assertEquals(
                file
                        + " is damaged: its SHA-256 does not match its contents (damaged or"
                        + " truncated)",
                cache.lookup(KEY, false).damage());

        SealedFile.write(file, "test data", StatisticsCache.FORMAT, o -> o.writeUTF(KEY));
        assertEquals(
                file + " is damaged: it holds test data, not FID statistics",
                cache.lookup(KEY, false).damage());
        SealedFile.write(file, StatisticsCache.KIND, 1, o -> o.writeUTF(KEY));
        assertEquals(
                file + " is damaged: it is FID statistics format 1, this build reads format 2",
                cache.lookup(KEY, false).damage());

        byte[] good = Files.readAllBytes(cache.write(KEY, entry(3, 0, 4)));
        Files.write(file, java.util.Arrays.copyOf(good, good.length - 1));
        assertTrue(cache.lookup(KEY, false).damage().startsWith(file + " is damaged: "));
        Files.write(file, new byte[0]);
        assertEquals(
                file
                        + " is damaged: it is too short (0 bytes) to be a shortrun FID statistics"
                        + " file",
                cache.lookup(KEY, false).damage());
    }

    @Test
    void dimensionsAreCheckedBeforeAnythingIsAllocated() throws IOException {
        Path file = dir.resolve("hostile.bin");
        SealedFile.write(
                file,
                StatisticsCache.KIND,
                StatisticsCache.FORMAT,
                o -> {
                    o.writeUTF(KEY);
                    o.writeInt(Integer.MAX_VALUE);
                });
        DamagedFileException d =
                assertThrows(DamagedFileException.class, () -> StatisticsCache.readFile(file));
        assertEquals(
                file + " is damaged: feature dimension 2147483647 is outside [1, 32768]",
                d.getMessage());
        SealedFile.write(
                file,
                StatisticsCache.KIND,
                StatisticsCache.FORMAT,
                o -> {
                    o.writeUTF(KEY);
                    o.writeInt(32768);
                    o.writeLong(20);
                });
        DamagedFileException mean =
                assertThrows(DamagedFileException.class, () -> StatisticsCache.readFile(file));
        assertEquals(
                file + " is damaged: mean need 262144 bytes but only 0 remain", mean.getMessage());
        SealedFile.write(
                file,
                StatisticsCache.KIND,
                StatisticsCache.FORMAT,
                o -> {
                    o.writeUTF(KEY);
                    o.writeInt(1);
                    o.writeLong(20);
                    o.writeDouble(0);
                    o.writeDouble(1);
                    o.writeInt(Integer.MAX_VALUE);
                });
        DamagedFileException sample =
                assertThrows(DamagedFileException.class, () -> StatisticsCache.readFile(file));
        assertEquals(
                file + " is damaged: KID sample need 8589934588 bytes but only 0 remain",
                sample.getMessage());
        SealedFile.write(
                file,
                StatisticsCache.KIND,
                StatisticsCache.FORMAT,
                o -> {
                    o.writeUTF(KEY);
                    o.writeInt(1);
                    o.writeLong(1);
                });
        assertEquals(
                file + " is damaged: feature count 1 is below 2",
                assertThrows(DamagedFileException.class, () -> StatisticsCache.readFile(file))
                        .getMessage());
    }

    @Test
    void aWriterWaitsForTheEntrysLock() throws Exception {
        StatisticsCache cache = new StatisticsCache(dir);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Path> waiting;
            try (DirectoryLock held = DirectoryLock.acquire(cache.lockFor(KEY), "test")) {
                waiting = pool.submit(() -> cache.write(KEY, entry(4, 2, 5)));
                Thread.sleep(400);
                assertFalse(
                        waiting.isDone(), "the write waits while another holds the entry's lock");
                assertFalse(Files.exists(cache.fileFor(KEY)));
            }
            waiting.get();
            assertTrue(cache.lookup(KEY, true).hit());

            // two writers of the same statistics at once leave one whole entry
            StatisticsCache.Entry a = entry(40, 30, 6);
            StatisticsCache.Entry b = entry(40, 30, 7);
            Future<Path> first = pool.submit(() -> cache.write(KEY, a));
            Future<Path> second = pool.submit(() -> cache.write(KEY, b));
            first.get();
            second.get();
            StatisticsCache.Entry read = cache.lookup(KEY, true).entry();
            assertSame(read.statistics().getMean()[0] == a.statistics().getMean()[0] ? a : b, read);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fuzzedEntriesAreNeverRead() throws Exception {
        byte[] good = Files.readAllBytes(new StatisticsCache(dir).write(KEY, entry(6, 4, 8)));
        Fuzz.Report report =
                Fuzz.of("statistics cache", good, 20)
                        .mutants(2000)
                        .run(dir.resolve("mutant.bin"), StatisticsCache::readFile);
        assertTrue(report.ok(), report.details());
        assertEquals(0, report.accepted(), "a sealed entry accepts no change: " + report.line());
    }

    @Test
    void fuzzedBodiesBehindAValidSealAreRefusedCleanly() throws Exception {
        // the parser's own bounds, for a file whose checksum was recomputed over a hostile body
        Path entryFile = new StatisticsCache(dir).write(KEY, entry(6, 4, 9));
        byte[] sealed = Files.readAllBytes(entryFile);
        int header = 8 + 2 + StatisticsCache.KIND.length() + 4;
        byte[] body = java.util.Arrays.copyOfRange(sealed, header, sealed.length - 8 - 32);
        Path resealed = dir.resolve("resealed.bin");
        Fuzz.Report report =
                Fuzz.of("statistics cache body", body, 21)
                        .mutants(2000)
                        .run(
                                dir.resolve("body.bin"),
                                mutant -> {
                                    byte[] bytes = Files.readAllBytes(mutant);
                                    SealedFile.write(
                                            resealed,
                                            StatisticsCache.KIND,
                                            StatisticsCache.FORMAT,
                                            o -> o.write(bytes));
                                    StatisticsCache.readFile(resealed);
                                });
        assertTrue(report.ok(), report.details());
    }
}
