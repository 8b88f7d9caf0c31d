package org.shortrun.zoo;

/**
 * What an inpainting {@code Predictor} returns for a batch.
 *
 * @param masks {@code [n, 1, h, w]}: 1 where a pixel was observed, 0 where it was filled in (as
 *     values in [-1, 1] images: 1 is white, 0 mid-grey)
 * @param inpainted g(e) at the latents inferred from the observed pixels
 * @param occludedMse per image, the mean squared error on the occluded pixels ([-1, 1] scale)
 * @param observedMse per image, the mean squared error on the observed pixels
 */
public record Inpainted(
        ImageBatch masks, ImageBatch inpainted, double[] occludedMse, double[] observedMse) {}
