package org.shortrun.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.shortrun.Schedule;

class ScheduleTest {

    @Test
    void releasedScheduleHalvesAtEpochs50_100_300() {
        Schedule lr = LearningRateSchedule.RELEASED.create(8e-5);
        assertEquals(8e-5, lr.valueAt(0), 0);
        assertEquals(8e-5, lr.valueAt(19_999), 0);
        assertEquals(4e-5, lr.valueAt(20_000), 0);
        assertEquals(2e-5, lr.valueAt(40_000), 0);
        assertEquals(2e-5, lr.valueAt(119_999), 0);
        assertEquals(1e-5, lr.valueAt(120_000), 0);
    }

    @Test
    void paperScheduleSteps1e4_5e5_1e5() {
        Schedule lr =
                LearningRateSchedule.PAPER.create(LearningRateSchedule.PAPER.getDefaultBase());
        assertEquals(1e-4, lr.valueAt(99_999), 0);
        assertEquals(5e-5, lr.valueAt(100_000), 0);
        assertEquals(1e-5, lr.valueAt(250_000), 1e-20);
    }

    @Test
    void sigmaAnnealsLinearlyToItsTarget() {
        LearningConfig c =
                LearningConfig.builder()
                        .setIterations(100)
                        .optSigma(0.15f)
                        .optSigmaAnneal(0.35f, 40)
                        .build();
        assertEquals(0.35, c.sigma().valueAt(0), 1e-6);
        assertEquals(0.25, c.sigma().valueAt(20), 1e-6);
        assertEquals(0.15, c.sigma().valueAt(40), 1e-6);
        assertEquals(0.15, c.sigma().valueAt(99), 1e-6);
        assertEquals(0.15, LearningConfig.builder().build().sigma().valueAt(0), 1e-6);
    }

    @Test
    void batchOrderIsAPermutationPerEpochAndDependsOnTheSeed() {
        BatchOrder order = new BatchOrder(10, 5, 3);
        int[] seen = new int[10];
        for (int i : order.indices(0)) {
            seen[i]++;
        }
        for (int i : order.indices(1)) {
            seen[i]++;
        }
        for (int count : seen) {
            assertEquals(1, count);
        }
        assertNotEquals(
                java.util.Arrays.toString(order.indices(0)),
                java.util.Arrays.toString(new BatchOrder(10, 5, 4).indices(0)));
    }
}
