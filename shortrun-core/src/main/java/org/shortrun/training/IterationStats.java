package org.shortrun.training;

/**
 * What one training iteration reports.
 *
 * @param iteration iterations done, counting this one
 * @param loss the method's loss of the batch: the summed squared error, or the negative ELBO
 * @param mse the summed squared error per pixel on the [-1, 1] scale
 * @param stepSize the Langevin step size s used
 * @param sigma sigma used
 * @param learningRate the learning rate used
 * @param seconds seconds since the run (or resumed run) started
 */
public record IterationStats(
        long iteration,
        float loss,
        float mse,
        float stepSize,
        float sigma,
        float learningRate,
        double seconds) {}
