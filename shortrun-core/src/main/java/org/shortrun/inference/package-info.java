/**
 * Short-run inference: noise-initialised K-step Langevin dynamics on the whitened latents, in the
 * released convention ({@code e <- e - s^2/2 (grad + e) + s N(0, I)}); and the inference of the
 * methods the paper compares with: an encoder's posterior with Ladder-VAE's merge ({@link
 * org.shortrun.inference.AmortisedPosterior}) and GLO's projected code steps ({@link
 * org.shortrun.inference.ProjectedGradient}); and the Langevin autoencoders' amortised Langevin
 * dynamics on an encoder's last linear map ({@link org.shortrun.inference.AmortisedLangevin}), the
 * short-run samples of an energy-based prior ({@link org.shortrun.inference.PriorLangevin}) and the
 * energy they share ({@link org.shortrun.inference.PosteriorEnergy}).
 */
package org.shortrun.inference;
