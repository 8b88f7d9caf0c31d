package org.shortrun.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness itself catches what it is there to catch. */
class FuzzTest {

    @TempDir Path dir;

    private static final byte[] FILE = {0, 0, 0, 4, 1, 2, 3, 4};

    @Test
    void aReaderThatBelievesALengthIsCaught() throws Exception {
        Fuzz.Report report =
                Fuzz.of("naive", FILE, 1)
                        .mutants(300)
                        .run(
                                dir.resolve("m"),
                                file -> {
                                    try (DataInputStream in =
                                            new DataInputStream(Files.newInputStream(file))) {
                                        // capped, so that the harness sees the over-allocation
                                        // without the test itself holding gigabytes
                                        byte[] body =
                                                new byte
                                                        [Math.max(
                                                                0,
                                                                Math.min(in.readInt(), 1 << 28))];
                                        in.read(body);
                                    } catch (java.io.EOFException e) {
                                        throw new org.shortrun.InputException("short");
                                    }
                                });
        assertFalse(report.ok(), report.line());
        assertTrue(report.overAllocations() + report.outOfMemory() > 0, report.line());
    }

    @Test
    void anExceptionOtherThanACleanErrorIsCaught() throws Exception {
        Fuzz.Report report =
                Fuzz.of("throws", FILE, 2)
                        .mutants(50)
                        .run(
                                dir.resolve("m"),
                                file -> {
                                    throw new IllegalStateException("boom");
                                });
        assertTrue(report.unexpected() > 0 && !report.ok(), report.line());
    }
}
