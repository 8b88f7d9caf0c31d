package org.shortrun.eval.fid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;

/** The FID job without the command: folders, the real side's checks, and the report. */
class FidJobTest {

    @TempDir Path dir;

    private Path network() throws IOException {
        Path target = dir.resolve("fid64.pt");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/tiny_inception_fid64.pt")) {
            Files.copy(in, target);
        }
        return target;
    }

    static Path images(Path dir, int count, int side, long seed) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    image.getRaster().setSample(x, y, 0, random.nextInt(256));
                }
            }
            ImageIO.write(image, "png", dir.resolve(String.format("img%03d.png", i)).toFile());
        }
        return dir;
    }

    @Test
    void aFolderAgainstItselfScoresZeroAndTheReportNamesBothSides() throws IOException {
        Path a = images(dir.resolve("a"), 6, 32, 1);
        FidJob job =
                FidJob.builder()
                        .setFakeDirectory(a)
                        .setRealDirectory(a)
                        .setInception(network())
                        .optFeatureDim(64)
                        .optSamples(5)
                        .build();
        assertEquals(5, job.getFakeCount());
        FidJob.Result result = job.run();
        Map<String, Object> report = result.report();
        assertEquals(0, (Double) report.get("fid"), 1e-6);
        assertEquals(a.toString(), report.get("fake"));
        assertEquals(a.toString(), report.get("real"));
        assertEquals(5, report.get("real_count"));
        assertEquals("off", report.get("real_cache"));
        assertEquals("pytorch-fid", report.get("convention"));
        assertNull(result.measured().kid());
    }

    @Test
    void theRealSideIsCheckedBeforeTheEngineIsNeeded() throws IOException {
        Path a = images(dir.resolve("a"), 4, 32, 1);
        Path small = images(dir.resolve("small"), 4, 16, 2);
        Path net = network();
        InputException size =
                assertThrows(
                        InputException.class,
                        () ->
                                FidJob.builder()
                                        .setFakeDirectory(a)
                                        .setRealDirectory(small)
                                        .setInception(net)
                                        .build());
        assertTrue(size.getMessage().endsWith("holds 16x16 ones"), size.getMessage());
        InputException neither =
                assertThrows(
                        InputException.class, () -> FidJob.builder().setInception(net).build());
        assertTrue(neither.getMessage().startsWith("give exactly one of"), neither.getMessage());
        InputException one =
                assertThrows(
                        InputException.class,
                        () ->
                                FidJob.builder()
                                        .setFakeDirectory(a)
                                        .optSamples(1)
                                        .setInception(net)
                                        .build());
        assertEquals("FID needs at least 2 generated images, got 1", one.getMessage());
        InputException svhn =
                assertThrows(
                        InputException.class,
                        () ->
                                FidJob.builder()
                                        .setFakeDirectory(a)
                                        .setReal(
                                                Datasets.builder().setName(Datasets.Name.SVHN),
                                                "test")
                                        .setInception(net)
                                        .build());
        assertTrue(svhn.getMessage().contains("needs --data-dir"), svhn.getMessage());
        // a folder as the real side never looks at the dataset's settings
        FidJob.builder()
                .setFakeDirectory(a)
                .setReal(Datasets.builder().setName(Datasets.Name.SVHN), a.toString())
                .setInception(net)
                .build();
    }

    @Test
    void conventionsParseAsTheCommandTakesThem() {
        assertNull(FidJob.parseConvention("--inception-kind", "auto"));
        assertEquals(
                InceptionNetwork.Convention.TF_NVIDIA,
                FidJob.parseConvention("--inception-kind", "TF_NVIDIA"));
        assertEquals(
                "--inception-kind must be auto, tf-nvidia or pytorch-fid, got 'x'",
                assertThrows(
                                InputException.class,
                                () -> FidJob.parseConvention("--inception-kind", "x"))
                        .getMessage());
    }
}
