package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;

/** The grid's rows fix the other layers and its columns share the varied layer's draws. */
class LayerVariationTest {

    private static float[] image(NDArray grid, int index) {
        return grid.get(index).toFloatArray();
    }

    @Test
    void aColumnSharesTheVariedDrawAndARowSharesTheOthers() {
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
            int rows = 3;
            int columns = 4;
            NDArray top =
                    LayerVariation.grid(
                            g, store, 0, rows, columns, manager, RandomStream.seeded(5));
            assertEquals(rows * columns, top.getShape().get(0));
            // varying the top: a row's images differ from one another, and so do a column's
            // (the bottom layer differs between rows)
            assertFalse(Arrays.equals(image(top, 0), image(top, 1)));
            assertFalse(Arrays.equals(image(top, 0), image(top, columns)));

            LadderGenerator single =
                    new LadderGenerator(
                            LadderConfig.builder()
                                    .setZDims(4)
                                    .optChannels(16)
                                    .optImageChannels(1)
                                    .build());
            single.initialize(manager, DataType.FLOAT32, RandomStream.seeded(6), 1);
            NDArray only =
                    LayerVariation.grid(
                            single, store, 0, rows, columns, manager, RandomStream.seeded(7));
            // with one layer nothing else can differ between rows: every column repeats its image
            for (int r = 1; r < rows; r++) {
                for (int c = 0; c < columns; c++) {
                    assertArrayEquals(image(only, c), image(only, r * columns + c), 1e-6f);
                }
            }
            assertFalse(Arrays.equals(image(only, 0), image(only, 1)));
        }
    }
}
