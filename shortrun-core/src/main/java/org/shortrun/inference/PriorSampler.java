package org.shortrun.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.shortrun.RandomStream;
import org.shortrun.model.LatentGenerator;

/**
 * Ancestral sampling from the generator's prior: every whitened latent {@code e_l ~ N(0, I)}, then
 * {@code x = g(e)}. The draws come from a seeded {@link RandomStream}, one layer after another, top
 * first, so the same seed gives the same samples and the engine's own generator is left alone.
 */
public final class PriorSampler {

    private PriorSampler() {}

    /**
     * Draws the whitened latents of {@code count} samples.
     *
     * @param generator the generator whose latent shapes are drawn
     * @param manager the manager the latents belong to
     * @param count the number of samples
     * @param stream where the draws come from
     * @return one {@code [count, z_l]} array per layer, top first
     */
    public static NDList latents(
            LatentGenerator generator, NDManager manager, int count, RandomStream stream) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        NDList e = new NDList();
        for (Shape s : generator.latentShapes(count)) {
            e.add(stream.normal(manager, s));
        }
        return e;
    }

    /**
     * Draws {@code count} images from the prior.
     *
     * @param generator the generator
     * @param parameterStore the store it reads its parameters from
     * @param manager the manager the latents and images belong to
     * @param count the number of samples
     * @param stream where the draws come from
     * @return {@code [count, c, size, size]} in [-1, 1]
     */
    public static NDArray sample(
            LatentGenerator generator,
            ParameterStore parameterStore,
            NDManager manager,
            int count,
            RandomStream stream) {
        return generator
                .forward(parameterStore, latents(generator, manager, count, stream), false)
                .singletonOrThrow();
    }
}
