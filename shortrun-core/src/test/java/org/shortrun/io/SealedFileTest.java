package org.shortrun.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sealed files: written whole, read only when whole and of the kind and format asked for. */
class SealedFileTest {

    @TempDir Path dir;

    private static final byte[] PAYLOAD = "the body of a sealed file".getBytes();

    private Path writeSample() throws IOException {
        Path file = dir.resolve("sample.bin");
        SealedFile.write(
                file,
                "test data",
                3,
                out -> {
                    out.writeInt(PAYLOAD.length);
                    out.write(PAYLOAD);
                });
        return file;
    }

    private static byte[] readSample(Path file) throws IOException {
        return SealedFile.read(
                file,
                "test data",
                3,
                in -> in.readBytes("payload", in.readCount("payload length", 0, 1 << 20), 1));
    }

    @Test
    void aWrittenFileReadsBackAndLeavesNoTemporaryFile() throws IOException {
        Path file = writeSample();
        assertArrayEquals(PAYLOAD, readSample(file));
        try (var list = Files.list(dir)) {
            assertEquals(1, list.count());
        }
    }

    @Test
    void everyFlippedBitIsRefusedNamingTheFile() throws IOException {
        Path file = writeSample();
        byte[] good = Files.readAllBytes(file);
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(file, bad);
            DamagedFileException e =
                    assertThrows(DamagedFileException.class, () -> readSample(file), "bit " + bit);
            assertTrue(e.getMessage().startsWith(file + " is damaged: "), e.getMessage());
        }
    }

    @Test
    void anotherKindOrFormatIsRefusedSayingSo() throws IOException {
        Path file = writeSample();
        DamagedFileException kind =
                assertThrows(
                        DamagedFileException.class,
                        () -> SealedFile.read(file, "FID statistics", 3, in -> null));
        assertEquals(
                file + " is damaged: it holds test data, not FID statistics", kind.getMessage());
        DamagedFileException format =
                assertThrows(
                        DamagedFileException.class,
                        () -> SealedFile.read(file, "test data", 4, in -> null));
        assertEquals(
                file + " is damaged: it is test data format 3, this build reads format 4",
                format.getMessage());
        DamagedFileException unread =
                assertThrows(
                        DamagedFileException.class,
                        () -> SealedFile.read(file, "test data", 3, in -> in.readInt()));
        assertEquals(file + " is damaged: 25 bytes follow its body", unread.getMessage());
    }

    @Test
    void aFailedWriteLeavesThePreviousFile() throws IOException {
        Path file = writeSample();
        assertThrows(
                IOException.class,
                () ->
                        SealedFile.write(
                                file,
                                "test data",
                                3,
                                out -> {
                                    out.writeInt(1);
                                    throw new IOException("disk full");
                                }));
        assertArrayEquals(PAYLOAD, readSample(file));
        try (var list = Files.list(dir)) {
            assertEquals(1, list.count(), "the temporary file is removed");
        }
    }

    @Test
    void fuzzedSealedFilesAreRefusedCleanly() throws Exception {
        byte[] good = Files.readAllBytes(writeSample());
        Fuzz.Report report =
                Fuzz.of("sealed file", good, 12)
                        .mutants(3000)
                        .run(dir.resolve("mutant.bin"), SealedFileTest::readSample);
        assertTrue(report.ok(), report.details());
        assertEquals(0, report.accepted(), "a sealed file accepts no change: " + report.line());
    }
}
