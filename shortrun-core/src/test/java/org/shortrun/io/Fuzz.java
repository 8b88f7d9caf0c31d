package org.shortrun.io;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.shortrun.InputException;

/**
 * A seeded mutation run over one reader: bit flips, bytes set to edge values, 32-bit edge values
 * written over lengths, truncations, insertions, deletions and duplicated chunks of a valid file.
 * Each mutant is read once in a worker thread; the reader must either accept it or refuse it with
 * an {@link InputException}. Anything else is recorded: another exception, a hang, an out-of-memory
 * error, or more memory allocated than the file could justify (a length believed before it was
 * checked). Shared by every module's reader tests.
 */
public final class Fuzz {

    /** Reads one file, as a reader under test does. */
    @FunctionalInterface
    public interface Reader {
        /**
         * Reads the file.
         *
         * @param file the mutant
         * @throws Exception whatever the reader throws
         */
        void read(Path file) throws Exception;
    }

    /**
     * The outcome of a run over one reader.
     *
     * @param reader the reader's name
     * @param mutants mutants read (identical copies of the original are not counted)
     * @param clean refused with one-line {@link InputException}s
     * @param accepted read without complaint
     * @param unexpected other exceptions
     * @param hangs reads that did not end within the time allowed
     * @param outOfMemory out-of-memory errors
     * @param overAllocations reads that allocated more than allowed
     * @param examples the first few failures, for the assertion message
     */
    public record Report(
            String reader,
            int mutants,
            int clean,
            int accepted,
            int unexpected,
            int hangs,
            int outOfMemory,
            int overAllocations,
            List<String> examples) {

        /**
         * @return true if nothing but clean errors and acceptances happened
         */
        public boolean ok() {
            return unexpected == 0 && hangs == 0 && outOfMemory == 0 && overAllocations == 0;
        }

        /**
         * @return the counts on one line
         */
        public String line() {
            return String.format(
                    "fuzz %s: %d mutants, %d clean errors, %d accepted, %d unexpected exceptions,"
                            + " %d hangs, %d out-of-memory, %d over-allocations",
                    reader,
                    mutants,
                    clean,
                    accepted,
                    unexpected,
                    hangs,
                    outOfMemory,
                    overAllocations);
        }

        /**
         * @return the line and the first failures
         */
        public String details() {
            return line() + (examples.isEmpty() ? "" : "\n  " + String.join("\n  ", examples));
        }
    }

    private static final int[] EDGE_INTS = {
        0, 1, -1, 0x7fffffff, 0x80000000, 0x7fffff00, 0x00ffffff, 65536, 0x40000000, 255
    };
    private static final byte[] EDGE_BYTES = {
        0, 1, -1, 0x7f, (byte) 0x80, 0x20, 0x39, 0x22, 0x7b, 0x5b
    };

    private final String name;
    private final byte[] original;
    private final long seed;
    private int mutants = 2000;
    private long timeoutMillis = 5000;
    private long allocationLimit;

    private Fuzz(String name, byte[] original, long seed) {
        this.name = name;
        this.original = original;
        this.seed = seed;
        allocationLimit = 64L * original.length + (64L << 20);
    }

    /**
     * Starts a run.
     *
     * @param name the reader's name, for the report
     * @param original a valid file's bytes
     * @param seed the seed of the mutations
     * @return the run, to be configured and {@link #run}
     */
    public static Fuzz of(String name, byte[] original, long seed) {
        return new Fuzz(name, original, seed);
    }

    /**
     * Sets how many mutants to read.
     *
     * @param count the count
     * @return this
     */
    public Fuzz mutants(int count) {
        mutants = count;
        return this;
    }

    /**
     * Sets the most bytes one read may allocate (default: 64 times the file plus 64 MiB).
     *
     * @param bytes the limit
     * @return this
     */
    public Fuzz allocationLimit(long bytes) {
        allocationLimit = bytes;
        return this;
    }

    /**
     * Mutates a valid file's bytes once.
     *
     * @param original the bytes
     * @param random the stream of choices
     * @return a mutant, possibly equal to the original
     */
    public static byte[] mutate(byte[] original, Random random) {
        byte[] b = original.clone();
        int edits = 1 + (random.nextInt(4) == 0 ? random.nextInt(4) : 0);
        for (int e = 0; e < edits; e++) {
            int n = b.length;
            int at = n == 0 ? 0 : random.nextInt(n);
            switch (random.nextInt(9)) {
                case 0, 1 -> {
                    if (n > 0) {
                        b[at] ^= (byte) (1 << random.nextInt(8));
                    }
                }
                case 2 -> {
                    if (n > 0) {
                        b[at] = EDGE_BYTES[random.nextInt(EDGE_BYTES.length)];
                    }
                }
                case 3 -> {
                    // an edge value over what is often a length: the first 64 bytes hold headers
                    int pos =
                            random.nextBoolean()
                                    ? random.nextInt(Math.max(1, Math.min(n, 64)))
                                    : at;
                    if (pos + 4 <= n) {
                        ByteBuffer.wrap(b, pos, 4)
                                .putInt(EDGE_INTS[random.nextInt(EDGE_INTS.length)]);
                    }
                }
                case 4 -> b = Arrays.copyOf(b, n == 0 ? 0 : random.nextInt(n));
                case 5 -> {
                    byte[] extra = new byte[1 + random.nextInt(16)];
                    random.nextBytes(extra);
                    b = splice(b, at, extra, 0);
                }
                case 6 -> {
                    int len = n == 0 ? 0 : 1 + random.nextInt(Math.min(16, n - at));
                    b = splice(b, at, new byte[0], len);
                }
                case 7 -> {
                    if (n > 0) {
                        int len = 1 + random.nextInt(Math.min(64, n - at));
                        b = splice(b, random.nextInt(n), Arrays.copyOfRange(b, at, at + len), 0);
                    }
                }
                default -> {
                    byte[] extra = new byte[1 + random.nextInt(8)];
                    Arrays.fill(extra, EDGE_BYTES[random.nextInt(EDGE_BYTES.length)]);
                    b = splice(b, n, extra, 0);
                }
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, byte[] insert, int delete) {
        byte[] out = new byte[b.length - delete + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + delete, out, at + insert.length, b.length - at - delete);
        return out;
    }

    /**
     * Reads every mutant.
     *
     * @param file where each mutant is written before it is read
     * @param reader the reader
     * @return the counts
     * @throws Exception if a mutant cannot be written
     */
    public Report run(Path file, Reader reader) throws Exception {
        Random random = new Random(seed);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ExecutorService worker =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "fuzz-" + name);
                            t.setDaemon(true);
                            return t;
                        });
        int read = 0;
        int clean = 0;
        int accepted = 0;
        int unexpected = 0;
        int hangs = 0;
        int oom = 0;
        int over = 0;
        List<String> examples = new ArrayList<>();
        try {
            for (int i = 0; i < mutants; i++) {
                byte[] mutant = mutate(original, random);
                if (Arrays.equals(mutant, original)) {
                    continue;
                }
                read++;
                Files.write(file, mutant);
                final int index = i;
                Future<long[]> outcome =
                        worker.submit(
                                () -> {
                                    long id = Thread.currentThread().getId();
                                    long before = threads.getThreadAllocatedBytes(id);
                                    int kind;
                                    try {
                                        reader.read(file);
                                        kind = 0;
                                    } catch (InputException e) {
                                        kind = 1;
                                    }
                                    return new long[] {
                                        kind, threads.getThreadAllocatedBytes(id) - before
                                    };
                                });
                try {
                    long[] r = outcome.get(timeoutMillis, TimeUnit.MILLISECONDS);
                    if (r[0] == 0) {
                        accepted++;
                    } else {
                        clean++;
                    }
                    if (r[1] > allocationLimit) {
                        over++;
                        note(
                                examples,
                                "mutant "
                                        + index
                                        + ": allocated "
                                        + r[1]
                                        + " bytes for a file of "
                                        + mutant.length);
                    }
                } catch (TimeoutException e) {
                    hangs++;
                    note(
                            examples,
                            "mutant " + index + ": no answer after " + timeoutMillis + " ms");
                    outcome.cancel(true);
                    break;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof OutOfMemoryError) {
                        oom++;
                    } else {
                        unexpected++;
                    }
                    note(examples, "mutant " + index + ": " + stackTop(cause));
                }
            }
        } finally {
            worker.shutdownNow();
        }
        Report report =
                new Report(name, read, clean, accepted, unexpected, hangs, oom, over, examples);
        System.out.println(report.line());
        return report;
    }

    private static void note(List<String> examples, String what) {
        if (examples.size() < 5) {
            examples.add(what);
        }
    }

    private static String stackTop(Throwable t) {
        StackTraceElement[] trace = t.getStackTrace();
        return t + (trace.length > 0 ? " at " + trace[0] : "");
    }
}
