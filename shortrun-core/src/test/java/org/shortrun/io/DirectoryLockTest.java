package org.shortrun.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;

/** The job directory's locks within one process (the command's tests cover other processes). */
class DirectoryLockTest {

    @TempDir Path dir;

    @Test
    void aHeldLockIsRefusedWithItsOwnerAndReleasedEmpty() throws IOException {
        Path file = dir.resolve("locks").resolve("cell-x.lock");
        try (DirectoryLock held = DirectoryLock.acquire(file, "cell x")) {
            assertNull(held.getStaleOwner(), "a fresh lock file has no previous owner");
            assertEquals(DirectoryLock.currentOwner() + "\n", Files.readString(file));
            InputException refused =
                    assertThrows(
                            InputException.class,
                            () -> DirectoryLock.acquire(file, "cell x of job runs/t"));
            assertTrue(
                    refused.getMessage()
                            .startsWith(
                                    "cell x of job runs/t is in use by "
                                            + DirectoryLock.currentOwner()
                                            + " (lock "
                                            + file
                                            + ")"),
                    refused.getMessage());
            assertThrows(
                    InputException.class,
                    () -> DirectoryLock.acquireWaiting(file, "job runs/t", 200),
                    "waiting gives up after its timeout");
        }
        assertEquals("", Files.readString(file));
        try (DirectoryLock again = DirectoryLock.acquire(file, "cell x")) {
            assertNull(again.getStaleOwner(), "a lock released properly is not stale");
        }
    }

    @Test
    void aLockFileWhoseOwnerDiedIsTakenOver() throws IOException {
        Path file = Files.writeString(dir.resolve("job.lock"), "pid 999999 on gone-host\n");
        try (DirectoryLock lock = DirectoryLock.acquire(file, "job")) {
            assertEquals("pid 999999 on gone-host", lock.getStaleOwner());
            assertEquals(DirectoryLock.currentOwner() + "\n", Files.readString(file));
        }
    }
}
