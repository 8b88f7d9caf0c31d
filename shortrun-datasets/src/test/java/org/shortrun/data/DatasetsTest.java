package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.shortrun.InputException;

/** The dataset registry as a library user calls it: the embedded split, checks, keys. */
class DatasetsTest {

    @Test
    void embeddedMnistSplitsItsTestSetNineToOne() {
        Datasets mnist = Datasets.builder().build();
        assertEquals(Datasets.EMBEDDED_TRAIN_COUNT, mnist.load(Split.TRAIN, 32).imageCount());
        assertEquals(
                MnistImages.EMBEDDED_COUNT - Datasets.EMBEDDED_TRAIN_COUNT,
                mnist.load(Split.TEST, 32).imageCount());
        assertEquals("embedded MNIST test set", mnist.describe());
        assertEquals(1, mnist.imageChannels());
        assertEquals("mnist", mnist.label());
    }

    @Test
    void prepareReportsTheImagesAndTheLoadingTime() {
        java.util.Map<String, Object> report = Datasets.builder().build().prepare(Split.TEST, 32);
        assertEquals(
                java.util.List.of("images", "load_seconds", "seconds"),
                java.util.List.copyOf(report.keySet()));
        assertEquals(1_000, report.get("images"));
        assertTrue((Double) report.get("seconds") >= (Double) report.get("load_seconds"));
    }

    @Test
    void datasetsWithoutAnEmbeddedCopyNeedADirectory() {
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> Datasets.builder().setName(Datasets.Name.CELEBA).build());
        assertEquals(
                "--dataset celeba needs --data-dir (there is no embedded copy or download)",
                e.getMessage());
        InputException first =
                assertThrows(
                        InputException.class, () -> Datasets.builder().optCelebaFirst(-1).build());
        assertEquals("--celeba-first must be 0 (all) or more, got -1", first.getMessage());
    }

    @Test
    void modelsOfAnotherKindAreRefused() {
        Datasets svhn =
                Datasets.builder()
                        .setName(Datasets.Name.SVHN)
                        .optDirectory(Path.of("svhn"))
                        .build();
        assertEquals(3, svhn.imageChannels());
        Shape grey = new Shape(1, 32, 32);
        InputException channels = assertThrows(InputException.class, () -> svhn.checkModel(grey));
        assertEquals(
                "the model has 1 image channels but svhn from svhn has 3", channels.getMessage());
        Shape large = new Shape(3, 64, 64);
        InputException size = assertThrows(InputException.class, () -> svhn.checkModel(large));
        assertTrue(
                size.getMessage().endsWith("(only celeba has a 64x64 setting)"), size.getMessage());
        Datasets celeba =
                Datasets.builder().setName(Datasets.Name.CELEBA).optDirectory(Path.of("c")).build();
        celeba.checkModel(large);
    }

    @Test
    void cacheKeysTellSplitsSidesAndSourcesApart() {
        Datasets mnist = Datasets.builder().build();
        assertEquals(
                "dataset=mnist;source=embedded;split=train;extra=false;first=0;size=32",
                mnist.cacheKey(Split.TRAIN, 32));
        assertNotEquals(mnist.cacheKey(Split.TRAIN, 32), mnist.cacheKey(Split.TEST, 32));
        Datasets celeba =
                Datasets.builder()
                        .setName(Datasets.Name.CELEBA)
                        .optDirectory(Path.of("c"))
                        .optCelebaFirst(40)
                        .build();
        assertTrue(celeba.cacheKey(Split.TRAIN, 64).endsWith(";first=40;size=64"));
        assertTrue(
                celeba.cacheKey(Split.TEST, 64).endsWith(";first=0;size=64"),
                "only the training split is cut");
    }
}
