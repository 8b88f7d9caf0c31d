/**
 * FID and KID as a library, split as pytorch-fid splits them: features ({@link
 * org.shortrun.eval.fid.InceptionNetwork} and {@link org.shortrun.eval.fid.FeatureExtraction}, with
 * a DJL {@link ai.djl.util.Progress} here), statistics with their on-disk cache ({@link
 * org.shortrun.eval.fid.RealStatistics} over {@link org.shortrun.eval.fid.StatisticsCache}) and
 * distance ({@link org.shortrun.eval.fid.FrechetDistance}, {@link
 * org.shortrun.eval.fid.KernelInceptionDistance}). {@link org.shortrun.eval.fid.FidEvaluation} runs
 * the whole measurement, and is what the {@code fid} and {@code table} commands call. {@link
 * org.shortrun.eval.fid.FidJob} is the {@code fid} command's, and {@link
 * org.shortrun.eval.fid.GeneratorImages} a model's samples as images.
 */
package org.shortrun.eval.fid;
