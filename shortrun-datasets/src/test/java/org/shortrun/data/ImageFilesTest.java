package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;

/** A folder of images to score: sizes are checked before a raster is allocated. */
class ImageFilesTest {

    private static Path png(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        ImageIO.write(new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB), "png", file.toFile());
        return file;
    }

    @Test
    void readsAFolderOfPngs(@TempDir Path dir) throws IOException {
        png(dir, "a.png");
        png(dir, "b.png");
        ImageFiles files = ImageFiles.open(dir);
        assertEquals(2, files.imageCount());
        assertArrayEquals(new long[] {3, 4, 6}, files.imageShape().getShape());
    }

    @Test
    void anImageClaimingGigapixelsIsRefusedBeforeDecoding(@TempDir Path dir) throws IOException {
        Path file = png(dir, "a.png");
        byte[] bytes = Files.readAllBytes(file);
        // IHDR follows the 8-byte signature and its 8-byte length and type; its CRC covers type and
        // data
        ByteBuffer.wrap(bytes, 16, 8).putInt(100_000).putInt(100_000);
        CRC32 crc = new CRC32();
        crc.update(bytes, 12, 4 + 13);
        ByteBuffer.wrap(bytes, 29, 4).putInt((int) crc.getValue());
        Files.write(file, bytes);
        InputException e = assertThrows(InputException.class, () -> ImageFiles.open(dir));
        assertEquals(
                file + " is 100000x100000 pixels, more than the 16777216 an image may have",
                e.getMessage());
        Files.write(file, "not an image".getBytes(StandardCharsets.US_ASCII));
        e = assertThrows(InputException.class, () -> ImageFiles.open(dir));
        assertEquals(file + " is not a readable PNG or JPEG image", e.getMessage());
    }
}
