package org.shortrun.eval.fid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.shortrun.RandomStream;
import org.shortrun.method.LatentModel;
import org.shortrun.training.Checkpoint;

/**
 * A model's samples as a source of images for FID: the latents drawn from the model's prior (the
 * whitened N(0, I), GLO's fitted Gaussian, CLAE's energy-based prior), then generated. The draws
 * start again from the seed whenever the images are read from the first, so two passes over them
 * see the same samples.
 */
public final class GeneratorImages implements FeatureExtraction.Images {

    private final LatentModel model;
    private final int seed;
    private RandomStream stream;

    /**
     * Samples of a model.
     *
     * @param model the model
     * @param seed the seed of the draws
     */
    public GeneratorImages(LatentModel model, int seed) {
        this.model = model;
        this.seed = seed;
    }

    /**
     * Samples of a checkpoint's model.
     *
     * @param checkpoint the checkpoint
     * @param manager the manager its parameters go to
     * @param seed the seed of the draws
     * @return the images
     */
    public static GeneratorImages of(Checkpoint checkpoint, NDManager manager, int seed) {
        return new GeneratorImages(checkpoint.loadModel(manager), seed);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDManager scope, int from, int to) {
        if (from == 0 || stream == null) {
            stream = RandomStream.seeded(seed);
        }
        return model.generate(model.drawLatents(scope, to - from, stream));
    }
}
