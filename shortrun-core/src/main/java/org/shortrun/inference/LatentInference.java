package org.shortrun.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.shortrun.RandomStream;

/**
 * How a model infers the latents of held-out images: short-run Langevin dynamics, an encoder's
 * posterior means, or GLO's code search ({@code Learner::inferLatents} is one).
 */
@FunctionalInterface
public interface LatentInference {

    /**
     * Infers the latents of a batch.
     *
     * @param x the images {@code [n, c, h, w]}; the latents go to their manager
     * @param stream where any random draws come from
     * @return the latents, top first
     */
    NDList infer(NDArray x, RandomStream stream);
}
