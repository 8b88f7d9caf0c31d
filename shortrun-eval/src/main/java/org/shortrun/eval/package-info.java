/**
 * Evaluation of learned generators, as the paper measures and shows them: reconstruction error of
 * short-run inference on held-out images ({@link org.shortrun.eval.Reconstruction}), inpainting
 * ({@link org.shortrun.eval.Inpainting}, {@link org.shortrun.eval.Mask}), layer-wise variation
 * ({@link org.shortrun.eval.LayerVariation}), FID and KID through a TorchScript Inception-v3
 * ({@link org.shortrun.eval.fid.InceptionNetwork} extracts features; {@link
 * org.shortrun.eval.fid.FeatureStatistics}, {@link org.shortrun.eval.fid.FrechetDistance} and
 * {@link org.shortrun.eval.fid.KernelInceptionDistance} compute the distances), the paper's
 * reported numbers ({@link org.shortrun.eval.PaperResults}), one-class anomaly detection by the
 * energy of inferred latents ({@link org.shortrun.eval.AnomalyJob}, {@link org.shortrun.eval.Roc}),
 * what a training run reports ({@link org.shortrun.eval.TrainingReport}), and image grids for
 * people to look at.
 */
package org.shortrun.eval;
