package org.shortrun.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.Repository;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;

/** The DJL-shaped builders: usage, directory or repository, image size, DJL's sampling, prepare. */
class PreparedImagesTest {

    /** Counts what prepare reports. */
    private static final class Counting implements Progress {
        long total;
        long done;
        boolean ended;

        @Override
        public void reset(String message, long max, String trailingMessage) {
            total = max;
        }

        @Override
        public void start(long initialProgress) {}

        @Override
        public void end() {
            ended = true;
        }

        @Override
        public void increment(long increment) {
            done += increment;
        }

        @Override
        public void update(long progress, String message) {
            done = progress;
        }
    }

    @Test
    void mnistFromADirectoryServesDjlBatchesOfTheChosenUsage(@TempDir Path dir)
            throws IOException, TranslateException {
        MnistImagesTest.tinyMnist(dir, 5, 28, IdxFile.IMAGES, 0);
        MnistDataset test =
                MnistDataset.builder()
                        .optUsage(Dataset.Usage.TEST)
                        .optDirectory(dir)
                        .optImageSize(32)
                        .setSampling(2, false)
                        .build();
        test.prepare(new Counting());
        assertEquals(5, test.size());
        assertEquals(new Shape(1, 32, 32), test.imageShape());
        ImageDataset direct = MnistImages.fromDirectory(dir, Split.TEST, 32);
        List<Long> sizes = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            int at = 0;
            for (Batch batch : test.getData(manager)) {
                long n = batch.getSize();
                sizes.add(n);
                float[] expected =
                        direct.batch(
                                        manager,
                                        java.util.stream.IntStream.range(at, at + (int) n)
                                                .toArray())
                                .toFloatArray();
                assertArrayEquals(expected, batch.getData().head().toFloatArray());
                at += n;
                batch.close();
            }
            assertArrayEquals(
                    direct.batch(manager, new int[] {3, 1}).toFloatArray(),
                    test.batch(manager, new int[] {3, 1}).toFloatArray());
        }
        assertEquals(List.of(2L, 2L, 1L), sizes);
        // TRAIN is another file, absent here: the error names it
        InputException e =
                assertThrows(
                        InputException.class,
                        () -> MnistDataset.builder().optDirectory(dir).build().prepare(null));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void shuffledSamplingVisitsEveryImageOnce() throws IOException, TranslateException {
        MnistDataset test =
                MnistDataset.builder().optUsage(Dataset.Usage.TEST).setSampling(64, true).build();
        Set<Float> seen = new HashSet<>();
        int count = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (Batch batch : test.getData(manager)) {
                count += batch.getSize();
                for (float label : batch.getLabels().head().toFloatArray()) {
                    seen.add(label);
                }
                batch.close();
            }
        }
        assertEquals(1_000, count, "the embedded set's last 1,000 images are its TEST usage");
        assertEquals(10, seen.size());
        assertEquals(9_000, MnistDataset.builder().optUsage(Dataset.Usage.TRAIN).build().size());
        assertEquals(
                100,
                MnistDataset.builder()
                        .optUsage(Dataset.Usage.TRAIN)
                        .optLimit(100)
                        .build()
                        .imageCount());
    }

    @Test
    void aRepositoryOnDiskIsItsDirectory(@TempDir Path dir) throws IOException {
        MnistImagesTest.tinyMnist(dir, 3, 28, IdxFile.IMAGES, 0);
        MnistDataset test =
                MnistDataset.builder()
                        .optUsage(Dataset.Usage.TEST)
                        .optRepository(Repository.newInstance("mnist", dir))
                        .setSampling(1, false)
                        .build();
        assertEquals(3, test.size());
    }

    @Test
    void onlyCelebaHasAValidationSplit(@TempDir Path dir) throws IOException {
        CelebaImagesTest.writeCeleba(dir);
        CelebaDataset train =
                CelebaDataset.builder()
                        .optDirectory(dir)
                        .optCacheDirectory(dir.resolve("cache"))
                        .setSampling(1, false)
                        .build();
        Counting progress = new Counting();
        train.prepare(progress);
        assertTrue(
                progress.ended && progress.done == 5 && progress.total == 5,
                progress.done + " of " + progress.total);
        CelebaDataset validation =
                CelebaDataset.builder()
                        .optUsage(Dataset.Usage.VALIDATION)
                        .optDirectory(dir)
                        .optCacheDirectory(dir.resolve("cache"))
                        .setSampling(1, false)
                        .build();
        assertEquals(1, validation.size());
        assertEquals(
                20 * 6,
                CelebaImagesTest.red(validation.images(), 0),
                3,
                "image 6 is the one validation image");
        assertEquals(5, train.size());
        CelebaDataset again =
                CelebaDataset.builder()
                        .optUsage(Dataset.Usage.VALIDATION)
                        .optDirectory(dir)
                        .optCacheDirectory(dir.resolve("cache"))
                        .setSampling(1, false)
                        .build();
        again.prepare(null);
        assertTrue(again.loaded().fromCache());
        InputException mnist =
                assertThrows(
                        InputException.class,
                        () ->
                                MnistDataset.builder()
                                        .optUsage(Dataset.Usage.VALIDATION)
                                        .setSampling(1, false)
                                        .build()
                                        .prepare(null));
        assertTrue(
                mnist.getMessage().contains("MNIST has no validation split"), mnist.getMessage());
        InputException svhn =
                assertThrows(
                        InputException.class,
                        () ->
                                SvhnDataset.builder()
                                        .optUsage(Dataset.Usage.VALIDATION)
                                        .optDirectory(SvhnImagesTest.fixtures())
                                        .setSampling(1, false)
                                        .build()
                                        .prepare(null));
        assertTrue(svhn.getMessage().contains("SVHN has no validation split"), svhn.getMessage());
        assertTrue(
                SvhnDataset.builder()
                                .optUsage(Dataset.Usage.TEST)
                                .optDirectory(SvhnImagesTest.fixtures())
                                .setSampling(1, false)
                                .build()
                                .size()
                        > 0);
    }
}
