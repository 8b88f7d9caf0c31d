package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shortrun.ImageSource;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

/** Reconstruction and inpainting tell a progress bar the image count, each batch, and the end. */
class EvaluationProgressTest {

    /** Records every call it receives, in order. */
    private static final class Recorder implements Progress {
        final List<String> events = new ArrayList<>();

        @Override
        public void reset(String message, long max, String trailingMessage) {
            events.add("reset " + max);
        }

        @Override
        public void start(long initialProgress) {
            events.add("start " + initialProgress);
        }

        @Override
        public void end() {
            events.add("end");
        }

        @Override
        public void increment(long increment) {
            events.add("increment " + increment);
        }

        @Override
        public void update(long progress, String message) {
            events.add("update " + progress);
        }
    }

    /** Seven fixed grey-level images of 32 by 32 pixels, one channel. */
    private static final ImageSource SOURCE =
            new ImageSource() {
                @Override
                public int imageCount() {
                    return 7;
                }

                @Override
                public Shape imageShape() {
                    return new Shape(1, 32, 32);
                }

                @Override
                public NDArray batch(NDManager manager, int[] indices) {
                    float[] pixels = new float[indices.length * 32 * 32];
                    for (int i = 0; i < pixels.length; i++) {
                        pixels[i] = (indices[i / 1024] % 3 - 1) * 0.5f;
                    }
                    return manager.create(pixels, new Shape(indices.length, 1, 32, 32));
                }
            };

    @Test
    void reconstructionAndInpaintingReportEachBatch() {
        // 6 of the 7 images in batches of 4: a full batch, then the 2 left
        List<String> expected = List.of("reset 6", "increment 4", "increment 2", "end");
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g =
                    new LadderGenerator(
                            LadderConfig.builder()
                                    .setZDims(4, 6)
                                    .optChannels(16)
                                    .optImageChannels(1)
                                    .build());
            g.initialize(manager, DataType.FLOAT32, RandomStream.seeded(4), 1);
            ParameterStore store = new ParameterStore(manager, false);
            Langevin langevin = Langevin.builder().setSteps(2).setStepSize(0.05f).build();

            Recorder reconstruction = new Recorder();
            Reconstruction.Error error =
                    Reconstruction.measure(
                            g,
                            store,
                            (x, s) ->
                                    langevin.infer(g, store, x, null, 0.3f, false, s).getLatents(),
                            SOURCE,
                            6,
                            4,
                            manager,
                            RandomStream.seeded(1),
                            reconstruction);
            assertEquals(6, error.images());
            assertEquals(expected, reconstruction.events);

            Recorder inpainting = new Recorder();
            Inpainting inpainter = new Inpainting(g, store, langevin, 0.3f, Mask.CENTER, 0.5);
            Inpainting.Error inpainted =
                    inpainter.measure(
                            SOURCE,
                            6,
                            4,
                            new Random(2),
                            RandomStream.seeded(2),
                            manager,
                            inpainting);
            assertEquals(6, inpainted.images());
            assertEquals(expected, inpainting.events);

            // without a progress bar the figures are the same
            Reconstruction.Error quiet =
                    Reconstruction.measure(
                            g,
                            store,
                            (x, s) ->
                                    langevin.infer(g, store, x, null, 0.3f, false, s).getLatents(),
                            SOURCE,
                            6,
                            4,
                            manager,
                            RandomStream.seeded(1),
                            null);
            assertEquals(error, quiet);
        }
    }
}
