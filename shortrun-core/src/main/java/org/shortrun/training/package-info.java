/**
 * Learning (Algorithm 1 of the paper): batches, short-run inference, an Adam step on the summed
 * squared error; schedules for the learning rate and sigma; the periodic re-optimisation of the
 * step size ({@link org.shortrun.training.StepSizeTuning}); checkpoints that are written
 * atomically and resume bit for bit.
 */
package org.shortrun.training;
