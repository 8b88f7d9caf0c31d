package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Each mask occludes what its name says. */
class MaskTest {

    private static float[] plane(Mask mask, double parameter) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray m = mask.draw(manager, 2, 32, parameter, new Random(1));
            assertEquals(4, m.getShape().dimension());
            return m.get(0).toFloatArray();
        }
    }

    private static int occluded(float[] m) {
        int n = 0;
        for (float v : m) {
            n += v == 0f ? 1 : 0;
        }
        return n;
    }

    @Test
    void halvesAndCentreOccludeTheRightPixels() {
        float[] left = plane(Mask.LEFT, 0);
        assertEquals(512, occluded(left));
        assertEquals(0f, left[5 * 32 + 3]);
        assertEquals(1f, left[5 * 32 + 20]);
        float[] right = plane(Mask.RIGHT, 0);
        assertEquals(1f, right[5 * 32 + 3]);
        assertEquals(0f, right[5 * 32 + 20]);
        float[] top = plane(Mask.TOP, 0);
        assertEquals(0f, top[3 * 32 + 5]);
        assertEquals(1f, top[20 * 32 + 5]);
        float[] bottom = plane(Mask.BOTTOM, 0);
        assertEquals(1f, bottom[3 * 32 + 5]);
        assertEquals(0f, bottom[20 * 32 + 5]);
        float[] centre = plane(Mask.CENTER, 0);
        assertEquals(16 * 16, occluded(centre));
        assertEquals(0f, centre[16 * 32 + 16]);
        assertEquals(1f, centre[2 * 32 + 2]);
    }

    @Test
    void randomMasksFollowTheirParameter() {
        int pixels = occluded(plane(Mask.PIXELS, 0.3));
        assertTrue(pixels > 0.3 * 1024 - 60 && pixels < 0.3 * 1024 + 60, "occluded " + pixels);
        int blocks = occluded(plane(Mask.BLOCKS, 3));
        assertTrue(blocks >= 64 && blocks <= 3 * 64, "occluded " + blocks);
    }
}
