package org.shortrun.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.shortrun.InputException;

/**
 * An exclusive lock on an output directory or part of one, held through {@link
 * FileChannel#tryLock()} on a lock file that names its owner ("pid N on HOST").
 *
 * <p>The operating system's lock, not the file's existence, decides who holds it: the lock dies
 * with its process, however the process ends. A file left behind by a process that was killed is
 * therefore stale by construction, and the next process takes it over and says so. The file is
 * never deleted, only emptied on release: deleting it would let a process that opened the old file
 * and one that created a new one both believe they hold the lock.
 */
public final class DirectoryLock implements AutoCloseable {

    private static final String OWNER =
            "pid " + ProcessHandle.current().pid() + " on " + hostName();

    private final FileChannel channel;
    private final FileLock lock;
    private final String staleOwner;

    private DirectoryLock(FileChannel channel, FileLock lock, String staleOwner) {
        this.channel = channel;
        this.lock = lock;
        this.staleOwner = staleOwner;
    }

    /**
     * Takes the lock at once, or refuses.
     *
     * @param file the lock file (created if missing)
     * @param what names what is locked in the refusal, e.g. "cell mnist-L1-K25-short-run of job
     *     runs/x"
     * @return the held lock
     * @throws InputException if another process (or another job in this one) holds it: one line
     *     naming the owner and the file
     * @throws IOException if the lock file cannot be created or written
     */
    public static DirectoryLock acquire(Path file, String what) throws IOException {
        DirectoryLock held = tryAcquire(file);
        if (held == null) {
            String owner = owner(file);
            throw new InputException(
                    what
                            + " is in use by "
                            + (owner.isEmpty() ? "another process" : owner)
                            + " (lock "
                            + file
                            + "); wait for it to end, or choose another --out");
        }
        return held;
    }

    /**
     * Takes the lock, waiting while another process holds it; for locks that are only held for the
     * moment it takes to write a few files.
     *
     * @param file the lock file (created if missing)
     * @param what names what is locked if waiting fails
     * @param timeoutMillis how long to wait at most
     * @return the held lock
     * @throws InputException if the lock is still held after the timeout
     * @throws IOException if the lock file cannot be created or written
     */
    public static DirectoryLock acquireWaiting(Path file, String what, long timeoutMillis)
            throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            DirectoryLock held = tryAcquire(file);
            if (held != null) {
                return held;
            }
            if (System.nanoTime() > deadline) {
                return acquire(file, what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + file, e);
            }
        }
    }

    private static DirectoryLock tryAcquire(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        FileChannel channel =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // held by this JVM, e.g. a job run in-process by a test or a library user
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            return null;
        }
        try {
            String previous = read(channel);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((OWNER + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new DirectoryLock(channel, lock, previous.isEmpty() ? null : previous);
        } catch (IOException | RuntimeException e) {
            lock.release();
            channel.close();
            throw e;
        }
    }

    /**
     * Returns the owner named in a stale lock file that this lock took over.
     *
     * @return e.g. "pid 1234 on node7", or null if the file was empty (released properly)
     */
    public String getStaleOwner() {
        return staleOwner;
    }

    /**
     * Returns who this process is, as lock files name it.
     *
     * @return "pid N on HOST"
     */
    public static String currentOwner() {
        return OWNER;
    }

    /** Empties the file and releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0);
            lock.release();
        } finally {
            channel.close();
        }
    }

    private static String owner(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
        channel.read(buffer, 0);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).trim();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return System.getenv().getOrDefault("HOSTNAME", "unknown host");
        }
    }
}
