package org.shortrun.eval.fid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.shortrun.eval.FeatureExtraction;
import org.shortrun.model.LadderGenerator;

/**
 * Samples from a generator's prior as an image stream for feature extraction: every latent layer
 * drawn from N(0, I) and pushed through the generator, a batch at a time.
 */
public final class GeneratorImages implements FeatureExtraction.Images {

    private final LadderGenerator generator;
    private final ParameterStore parameters;
    private final int seed;

    /**
     * Creates a stream of prior samples.
     *
     * @param generator the generator
     * @param parameters the store its parameters are read through
     * @param seed the engine seed set before the first batch, so that a seed gives the same
     *     samples whatever ran before in this JVM (the {@code fid} and {@code table} commands
     *     have always drawn their samples this way, and their figures depend on it)
     */
    public GeneratorImages(LadderGenerator generator, ParameterStore parameters, int seed) {
        this.generator = generator;
        this.parameters = parameters;
        this.seed = seed;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDManager scope, int from, int to) {
        if (from == 0) {
            scope.getEngine().setRandomSeed(seed);
        }
        NDList latents = new NDList();
        for (Shape shape : generator.inputShapes(to - from)) {
            latents.add(scope.randomNormal(shape));
        }
        return generator.forward(parameters, latents, false).singletonOrThrow();
    }
}
