package org.shortrun.cli;

import org.shortrun.io.DirectoryLock;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A second process for the lock tests: takes a job lock, says "locked", and holds it until its
 * standard input closes (a writer that is still running) or it is killed (one that died).
 */
final class LockHolder {

    private LockHolder() {}

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
