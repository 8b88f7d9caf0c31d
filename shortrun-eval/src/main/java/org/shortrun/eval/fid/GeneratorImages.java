package org.shortrun.eval.fid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.shortrun.RandomStream;
import org.shortrun.eval.FeatureExtraction;
import org.shortrun.inference.PriorSampler;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.Method;

/**
 * Samples from a generator's prior as an image stream for feature extraction: every latent layer
 * drawn from N(0, I), or from a learner's own prior, and pushed through the generator, a batch at a
 * time.
 */
public final class GeneratorImages implements FeatureExtraction.Images {

    private final LadderGenerator generator;
    private final ParameterStore parameters;
    private final int seed;
    private final Learner learner;
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
        this.learner = null;
    }

    /**
     * Creates a stream of samples from a learner's own prior ({@link Learner#drawLatents}: for GLO
     * the Gaussian fitted to its codes).
     *
     * @param learner the learner
     * @param seed the seed of the draws, restarted at the first batch
     */
    public GeneratorImages(Learner learner, int seed) {
        this.generator = learner.getGenerator();
        this.parameters = learner.getParameterStore();
        this.seed = seed;
        this.learner = learner;
    }

    /**
     * Samples from a checkpoint's prior: N(0, I), for a GLO model the Gaussian fitted to its codes,
     * and for a CLAE model short-run Langevin samples of its energy-based prior; the last two need
     * the whole learner restored.
     *
     * @param checkpoint the model
     * @param manager the manager that owns its parameters
     * @param seed the seed of the draws
     * @return the stream of samples
     */
    public static GeneratorImages of(Checkpoint checkpoint, NDManager manager, int seed) {
        Method method = checkpoint.getLearningConfig().getMethod();
        if (method == Method.GLO || method.hasEnergyPrior()) {
            return new GeneratorImages(
                    checkpoint.restore(checkpoint.getLearningConfig(), manager), seed);
        }
        return new GeneratorImages(
                checkpoint.loadGenerator(manager), new ParameterStore(manager, false), seed);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDManager scope, int from, int to) {
        if (from == 0 || stream == null) {
            stream = RandomStream.seeded(seed);
        }
        if (learner != null) {
            return generator
                    .forward(parameters, learner.drawLatents(scope, to - from, stream), false)
                    .singletonOrThrow();
        }
        return PriorSampler.sample(generator, parameters, scope, to - from, stream);
    }
}
