package org.shortrun.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The AUROC and the ROC curve by hand. */
class RocTest {

    /**
     * Scores 0.1, 0.4, 0.35, 0.8 with the last two anomalies: of the four (anomaly, normal) pairs
     * three are ordered (0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4) and one is not, so 0.75. Down the
     * thresholds the curve passes (0, 0), (0, 0.5), (0.5, 0.5), (0.5, 1), (1, 1).
     */
    @Test
    void theAurocAndTheCurveAreTheHandComputedValues() {
        double[] scores = {0.1, 0.4, 0.35, 0.8};
        boolean[] anomalous = {false, false, true, true};
        assertEquals(0.75, Roc.auroc(scores, anomalous), 1e-12);
        double[][] curve = Roc.curve(scores, anomalous);
        assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 1}, curve[0], 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1, 1}, curve[1], 1e-12);
        assertEquals(1.0, Roc.auroc(new double[] {1, 2, 3}, new boolean[] {false, true, true}), 0);
        assertEquals(0.0, Roc.auroc(new double[] {3, 1, 2}, new boolean[] {false, true, true}), 0);
    }

    /**
     * Ties count one half: scores 1, 1, 2 with the last two anomalies give (0.5 + 1) / 2; the curve
     * steps once for the tie.
     */
    @Test
    void tiesCountOneHalf() {
        double[] scores = {1, 1, 2};
        boolean[] anomalous = {false, true, true};
        assertEquals(0.75, Roc.auroc(scores, anomalous), 1e-12);
        double[][] curve = Roc.curve(scores, anomalous);
        assertArrayEquals(new double[] {0, 0, 1}, curve[0], 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 1}, curve[1], 1e-12);
        assertThrows(
                IllegalArgumentException.class,
                () -> Roc.auroc(new double[] {1, 2}, new boolean[] {true, true}));
        assertThrows(
                IllegalArgumentException.class,
                () -> Roc.auroc(new double[] {1, Double.NaN}, new boolean[] {false, true}));
    }
}
