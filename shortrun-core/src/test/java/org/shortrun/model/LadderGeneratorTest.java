package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LadderGeneratorTest {

    @ParameterizedTest(name = "z={0} channels={1} image={2}x{3} head={4}")
    @CsvSource({
        "'8', 16, 1, 32, RELEASED",
        "'16,32,64', 16, 1, 32, RELEASED",
        "'4,4,4,4,4', 16, 3, 32, SOFTPLUS",
        "'8,8,8,8,8,8', 32, 3, 32, RELEASED",
        "'8,16', 16, 3, 64, RELEASED"
    })
    void producesImagesInRange(String z, int channels, int imageChannels, int size, SdHead head) {
        int[] dims = java.util.Arrays.stream(z.split(",")).mapToInt(Integer::parseInt).toArray();
        LadderConfig config =
                LadderConfig.builder().setZDims(dims).optChannels(channels).optImageChannels(imageChannels).optImageSize(size).optSdHead(head).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(z.hashCode() + channels);
            LadderGenerator g = new LadderGenerator(config);
            g.initialize(manager, DataType.FLOAT32, g.inputShapes(3));
            NDList e = new NDList();
            for (Shape s : g.inputShapes(3)) {
                e.add(manager.randomNormal(s));
            }
            NDArray x = g.forward(new ParameterStore(manager, false), e, false).singletonOrThrow();
            assertArrayEquals(new long[] {3, imageChannels, size, size}, x.getShape().getShape());
            assertTrue(x.abs().max().getFloat() <= 1f);
            assertTrue(g.countParameters() > 0);
        }
    }

    @Test
    void lowerLatentsChangeTheImage() {
        LadderConfig config = LadderConfig.builder().setZDims(4, 4).optChannels(16).optImageChannels(1).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(2);
            LadderGenerator g = new LadderGenerator(config);
            g.initialize(manager, DataType.FLOAT32, g.inputShapes(1));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray top = manager.randomNormal(new Shape(1, 4));
            NDArray a = g.forward(ps, new NDList(top, manager.zeros(new Shape(1, 4))), false).singletonOrThrow();
            NDArray b = g.forward(ps, new NDList(top, manager.ones(new Shape(1, 4))), false).singletonOrThrow();
            assertTrue(a.sub(b).abs().max().getFloat() > 1e-6f);
        }
    }

    @Test
    void rejectsBadConfigurations() {
        assertThrows(IllegalArgumentException.class, () -> LadderConfig.builder().setZDims().build());
        assertThrows(IllegalArgumentException.class, () -> LadderConfig.builder().setZDims(4, 0).build());
        assertThrows(IllegalArgumentException.class, () -> LadderConfig.builder().setZDims(4).optImageSize(28).build());
        assertThrows(IllegalArgumentException.class, () -> LadderConfig.builder().setZDims(4).optImageChannels(2).build());
    }
}
