/**
 * Short-run inference: noise-initialised K-step Langevin dynamics on the whitened latents, in
 * the released convention ({@code e <- e - s^2/2 (grad + e) + s N(0, I)}); and the inference of
 * the methods the paper compares with: an encoder's posterior with Ladder-VAE's merge ({@link
 * org.shortrun.inference.AmortisedPosterior}) and GLO's projected code steps ({@link
 * org.shortrun.inference.ProjectedGradient}).
 */
package org.shortrun.inference;
