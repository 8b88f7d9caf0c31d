package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SdHeadTest {

    /**
     * Frees every unreachable direct buffer and refills freed memory with garbage: a graph that
     * kept a number in a buffer DJL let go of would now read 1e6 in its backward pass.
     */
    static void churn() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            List<ByteBuffer> junk = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                ByteBuffer b =
                        ByteBuffer.allocateDirect(4 * (1 + i % 4))
                                .order(java.nio.ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(1e6f);
                }
                junk.add(b);
            }
            junk.clear();
        }
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void releasedHeadGradientSurvivesGarbageCollection() {
        float[] raw = {-3f, -0.5f, 0f, 0.7f, 2f, 5f};
        for (int trial = 0; trial < 5; trial++) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray x = manager.create(raw);
                x.setRequiresGradient(true);
                try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    NDArray sd = SdHead.RELEASED.toSd(x);
                    churn();
                    c.backward(sd.sum());
                }
                float[] grad = x.getGradient().toFloatArray();
                for (int i = 0; i < raw.length; i++) {
                    double softplus = Math.log1p(Math.exp(raw[i]));
                    double sd = Math.exp(0.5 * (softplus + 1e-8));
                    assertEquals(
                            0.5 * sd * sigmoid(raw[i]),
                            grad[i],
                            1e-4 * Math.max(1, sd),
                            "trial " + trial + " raw " + raw[i]);
                }
            }
        }
    }

    @Test
    void softplusHeadValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] sd =
                    SdHead.SOFTPLUS.toSd(manager.create(new float[] {-20f, 0f, 3f})).toFloatArray();
            assertEquals(1e-3, sd[0], 1e-6);
            assertEquals(Math.log(2) + 1e-3, sd[1], 1e-6);
            assertEquals(Math.log1p(Math.exp(3)) + 1e-3, sd[2], 1e-5);
        }
    }
}
