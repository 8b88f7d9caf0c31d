/**
 * Learning (Algorithm 1 of the paper): batches, short-run inference, an Adam step on the summed
 * squared error, or the same generator learned by ABP, Ladder-VAE, a VAE or GLO ({@link
 * org.shortrun.training.Method}); schedules for the learning rate and sigma; the periodic
 * re-optimisation of the step size ({@link org.shortrun.stepsize.StepSizeTuning}); checkpoints that
 * are written atomically and resume bit for bit.
 */
package org.shortrun.training;
