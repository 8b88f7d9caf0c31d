/**
 * Learning: a run ({@link org.shortrun.training.TrainingJob}) of a generator and a learning method
 * ({@link org.shortrun.method.LearningMethod}) over batches, the learner that keeps Adam, the
 * schedules and the divergence checks ({@link org.shortrun.training.Learner}), the settings every
 * method shares ({@link org.shortrun.training.LearningConfig}), the run directory's lock and
 * refusals ({@link org.shortrun.training.RunDirectory}); schedules for the learning rate and sigma;
 * the periodic re-optimisation of the step size ({@link org.shortrun.stepsize.StepSizeTuning});
 * checkpoints that are written atomically and resume bit for bit.
 */
package org.shortrun.training;
