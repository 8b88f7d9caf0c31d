package org.shortrun.eval.fid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.shortrun.RandomStream;
import org.shortrun.inference.PriorSampler;
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
    private RandomStream stream;

    /**
     * Creates a stream of prior samples.
     *
     * @param generator the generator
     * @param parameters the store its parameters are read through
     * @param seed the seed of the draws, restarted at the first batch, so that a seed gives the
     *     same samples whatever ran before in this JVM
     */
    public GeneratorImages(LadderGenerator generator, ParameterStore parameters, int seed) {
        this.generator = generator;
        this.parameters = parameters;
        this.seed = seed;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDManager scope, int from, int to) {
        if (from == 0 || stream == null) {
            stream = RandomStream.seeded(seed);
        }
        return PriorSampler.sample(generator, parameters, scope, to - from, stream);
    }
}
