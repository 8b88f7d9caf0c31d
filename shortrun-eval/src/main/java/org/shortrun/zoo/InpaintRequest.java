package org.shortrun.zoo;

import java.util.Objects;
import org.shortrun.eval.Mask;

/**
 * What an inpainting {@code Predictor} is asked for: the images and which pixels it may see.
 *
 * @param images the images, in [-1, 1]
 * @param mask the kind of mask
 * @param maskParameter the occluded fraction for {@link Mask#PIXELS}, the block count for {@link
 *     Mask#BLOCKS}; ignored otherwise
 * @param maskSeed the seed of the random masks ({@code java.util.Random})
 */
public record InpaintRequest(ImageBatch images, Mask mask, double maskParameter, long maskSeed) {

    /**
     * Checks that images and mask are given.
     *
     * @param images the images
     * @param mask the kind of mask
     * @param maskParameter fraction or block count
     * @param maskSeed the seed of random masks
     */
    public InpaintRequest {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(mask, "mask");
    }
}
