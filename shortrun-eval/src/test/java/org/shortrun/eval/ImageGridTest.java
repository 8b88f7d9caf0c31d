package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {

    @Test
    void bandsPutEachBatchBelowTheOther(@TempDir Path dir) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray black = manager.full(new Shape(3, 1, 4, 4), -1f);
            NDArray white = manager.full(new Shape(3, 1, 4, 4), 1f);
            Path file = dir.resolve("g.png");
            ImageGrid.write(List.of(black, white), 2, file);
            BufferedImage picture = ImageIO.read(file.toFile());
            // 2 columns, 2 bands x 2 batches = 4 rows of 8-pixel cells with 2-pixel gaps
            assertEquals(2 * 8 + 3 * 2, picture.getWidth());
            assertEquals(4 * 8 + 5 * 2, picture.getHeight());
            assertEquals(0x000000, picture.getRGB(2, 2) & 0xffffff, "band 0, originals row");
            assertEquals(
                    0xffffff, picture.getRGB(2, 2 + 10) & 0xffffff, "band 0, second batch row");
            assertEquals(0x000000, picture.getRGB(2, 2 + 20) & 0xffffff, "band 1, originals row");
        }
    }
}
