package org.shortrun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RandomStreamTest {

    @Test
    void theSameSeedGivesTheSameNumbersAndAnotherSeedOthers() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] a = RandomStream.seeded(5).normal(manager, new Shape(64, 112)).toFloatArray();
            float[] b = RandomStream.seeded(5).normal(manager, new Shape(64, 112)).toFloatArray();
            float[] c = RandomStream.seeded(6).normal(manager, new Shape(64, 112)).toFloatArray();
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, c));
            assertArrayEquals(
                    RandomStream.ofIteration(1, 7).normal(manager, new Shape(10)).toFloatArray(),
                    RandomStream.ofIteration(1, 7).normal(manager, new Shape(10)).toFloatArray());
            assertFalse(
                    Arrays.equals(
                            RandomStream.ofIteration(1, 7)
                                    .normal(manager, new Shape(10))
                                    .toFloatArray(),
                            RandomStream.ofIteration(1, 8)
                                    .normal(manager, new Shape(10))
                                    .toFloatArray()));
        }
    }

    @Test
    void drawsHaveTheRightDistribution() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RandomStream stream = RandomStream.seeded(1);
            NDArray normal = stream.normal(manager, new Shape(200_000));
            assertEquals(0, normal.mean().getFloat(), 0.01);
            assertEquals(1, normal.square().mean().getFloat(), 0.01);
            NDArray uniform = stream.uniform(manager, 0.25f, new Shape(200_000), DataType.FLOAT64);
            assertEquals(DataType.FLOAT64, uniform.getDataType());
            assertTrue(uniform.max().getDouble() < 0.25 && uniform.min().getDouble() >= -0.25);
            // variance of U(-b, b) is b^2 / 3
            assertEquals(0.25 * 0.25 / 3, uniform.square().mean().getDouble(), 1e-3);
        }
    }

    /**
     * The arrays own their memory: after the wrapper of the Java-side draws is gone and the
     * collector has run, with fresh direct buffers full of NaN allocated where it was, the values
     * are still the drawn ones.
     */
    @Test
    void drawnArraysOwnTheirMemory() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> arrays = new ArrayList<>();
            List<float[]> expected = new ArrayList<>();
            RandomStream stream = RandomStream.seeded(3);
            for (int i = 0; i < 50; i++) {
                NDArray a =
                        i % 2 == 0
                                ? stream.normal(manager, new Shape(4096))
                                : stream.uniform(manager, 0.1f, new Shape(4096), DataType.FLOAT32);
                arrays.add(a);
                expected.add(a.toFloatArray());
            }
            List<ByteBuffer> reuse = new ArrayList<>();
            for (int round = 0; round < 5; round++) {
                System.gc();
                for (int i = 0; i < 50; i++) {
                    ByteBuffer b =
                            ByteBuffer.allocateDirect(4096 * 4)
                                    .order(java.nio.ByteOrder.nativeOrder());
                    while (b.remaining() >= 4) {
                        b.putFloat(Float.NaN);
                    }
                    reuse.add(b);
                }
            }
            for (int i = 0; i < arrays.size(); i++) {
                assertArrayEquals(expected.get(i), arrays.get(i).toFloatArray(), "array " + i);
            }
            assertEquals(250, reuse.size());
        }
    }

    @Test
    void drawingLeavesTheEnginesGeneratorAlone() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(42);
            float[] before = manager.randomNormal(new Shape(8)).toFloatArray();
            Engine.getInstance().setRandomSeed(42);
            RandomStream.seeded(9).normal(manager, new Shape(1000));
            float[] after = manager.randomNormal(new Shape(8)).toFloatArray();
            assertArrayEquals(before, after);
        }
    }
}
