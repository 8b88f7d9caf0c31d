/**
 * Short-run inference: noise-initialised K-step Langevin dynamics on the whitened latents, in
 * the released convention ({@code e <- e - s^2/2 (grad + e) + s N(0, I)}).
 */
package org.shortrun.inference;
