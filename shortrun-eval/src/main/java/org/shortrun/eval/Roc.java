package org.shortrun.eval;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The receiver operating characteristic of a score that flags anomalies, higher for more anomalous:
 * its curve and the area under it (AUROC).
 */
public final class Roc {

    private Roc() {}

    /**
     * The area under the ROC curve: the probability that a random anomaly scores higher than a
     * random normal image, ties counting one half (the Mann-Whitney U over the product of the
     * counts).
     *
     * @param scores one score per image, higher for more anomalous
     * @param anomalous whether each image is an anomaly
     * @return the AUROC in [0, 1]
     * @throws IllegalArgumentException if the lengths differ, only one kind is present, or a score
     *     is NaN
     */
    public static double auroc(double[] scores, boolean[] anomalous) {
        if (scores.length != anomalous.length) {
            throw new IllegalArgumentException(
                    scores.length + " scores for " + anomalous.length + " labels");
        }
        Integer[] order = sortedIndices(scores);
        double rankSum = 0;
        long positives = 0;
        for (int i = 0; i < order.length; ) {
            int j = i;
            while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            // ranks i+1..j+1 share their mean
            double rank = (i + j + 2) / 2.0;
            for (int k = i; k <= j; k++) {
                if (anomalous[order[k]]) {
                    rankSum += rank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = scores.length - positives;
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException(
                    "the AUROC needs anomalies and normal images; got "
                            + positives
                            + " and "
                            + negatives);
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    /**
     * The ROC curve: for every threshold between distinct scores, from the highest down, the share
     * of normal images and of anomalies scoring at or above it.
     *
     * @param scores one score per image, higher for more anomalous
     * @param anomalous whether each image is an anomaly
     * @return the false positive rates and the true positive rates, from (0, 0) to (1, 1)
     */
    public static double[][] curve(double[] scores, boolean[] anomalous) {
        Integer[] order = sortedIndices(scores);
        long positives = 0;
        for (boolean a : anomalous) {
            positives += a ? 1 : 0;
        }
        long negatives = scores.length - positives;
        double[] fpr = new double[scores.length + 1];
        double[] tpr = new double[scores.length + 1];
        int points = 1;
        long tp = 0;
        long fp = 0;
        for (int i = order.length - 1; i >= 0; i--) {
            if (anomalous[order[i]]) {
                tp++;
            } else {
                fp++;
            }
            if (i == 0 || scores[order[i - 1]] != scores[order[i]]) {
                fpr[points] = negatives == 0 ? 0 : (double) fp / negatives;
                tpr[points] = positives == 0 ? 0 : (double) tp / positives;
                points++;
            }
        }
        return new double[][] {Arrays.copyOf(fpr, points), Arrays.copyOf(tpr, points)};
    }

    private static Integer[] sortedIndices(double[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("score " + i + " is NaN");
            }
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
        return order;
    }
}
