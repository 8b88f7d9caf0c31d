package org.shortrun.zoo;

/**
 * What a reconstruction {@code Predictor} returns for a batch.
 *
 * @param reconstructions g(e) at the inferred latents, same shape as the input
 * @param latents the inferred whitened latents, {@code [layer][image][dimension]}, top layer first
 * @param mse per image, the mean squared error per pixel on the [-1, 1] scale
 */
public record Reconstructed(ImageBatch reconstructions, float[][][] latents, double[] mse) {

    /**
     * The mean squared error per pixel over the whole batch (all images have the same size), as
     * {@code shortrun reconstruct} reports it.
     *
     * @return the mean of {@link #mse()}
     */
    public double meanMse() {
        double sum = 0;
        for (double m : mse) {
            sum += m;
        }
        return sum / mse.length;
    }
}
