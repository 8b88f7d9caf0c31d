package org.shortrun.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.shortrun.io.DirectoryLock;

/**
 * A second process for the lock tests: takes a job lock, says "locked", and holds it until its
 * standard input closes (a writer that is still running) or it is killed (one that died).
 */
final class LockHolder {

    private LockHolder() {}

    /**
     * Starts another JVM that takes the lock and holds it until its input closes.
     *
     * @param lockFile the lock file
     * @return the process, holding the lock
     * @throws IOException if it cannot be started
     */
    static Process start(Path lockFile) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p =
                new ProcessBuilder(
                                java.toString(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                LockHolder.class.getName(),
                                lockFile.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        BufferedReader reader =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        if (!"locked".equals(reader.readLine())) {
            throw new IOException("the lock holder did not take " + lockFile);
        }
        return p;
    }

    public static void main(String[] args) throws IOException {
        try (DirectoryLock lock = DirectoryLock.acquire(Path.of(args[0]), "test lock")) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the test closes our input
            }
        }
    }
}
