package org.shortrun.zoo;

import java.util.Arrays;

/**
 * What an anomaly-score {@code Predictor} returns for a batch: each image's posterior energy at its
 * inferred latents, {@code ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 / 2}, plus E(e) for an
 * energy-based prior (higher is more anomalous), and its reconstruction error. Immutable: the
 * arrays are copied in and out.
 */
public final class AnomalyScores {

    private final float[] scores;
    private final float[] mse;

    /**
     * Creates the scores of a batch.
     *
     * @param scores per image, the posterior energy U(x, e) at the inferred latents
     * @param mse per image, the mean squared error per pixel of g(e) on the [-1, 1] scale
     * @throws IllegalArgumentException if the arrays differ in length
     */
    public AnomalyScores(float[] scores, float[] mse) {
        if (scores.length != mse.length) {
            throw new IllegalArgumentException(
                    "scores for " + scores.length + " images but errors for " + mse.length);
        }
        this.scores = scores.clone();
        this.mse = mse.clone();
    }

    /**
     * Returns each image's anomaly score, the posterior energy of its inferred latents.
     *
     * @return a copy, one score per image, in the batch's order
     */
    public float[] scores() {
        return scores.clone();
    }

    /**
     * Returns each image's mean squared error per pixel on the [-1, 1] scale, as {@link
     * Reconstructed#mse()} measures it.
     *
     * @return a copy, one error per image, in the batch's order
     */
    public float[] mse() {
        return mse.clone();
    }

    /**
     * Returns the number of images scored.
     *
     * @return the batch's size
     */
    public int size() {
        return scores.length;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object other) {
        return other instanceof AnomalyScores that
                && Arrays.equals(scores, that.scores)
                && Arrays.equals(mse, that.mse);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(scores) + Arrays.hashCode(mse);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "AnomalyScores[scores="
                + Arrays.toString(scores)
                + ", mse="
                + Arrays.toString(mse)
                + "]";
    }
}
