package org.shortrun.zoo;

/**
 * What a sampling {@code Predictor} is asked for: how many prior samples, and the seed of the
 * stream they are drawn from (the same seed gives the same images, and the same images as {@code
 * shortrun sample --seed}).
 *
 * @param count the number of images, at least 1
 * @param seed the seed
 */
public record SampleRequest(int count, int seed) {

    /**
     * Checks the count.
     *
     * @param count the number of images
     * @param seed the seed
     */
    public SampleRequest {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
    }
}
