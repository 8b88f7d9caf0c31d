/**
 * The variational choice of the Langevin step size (the paper's sections 4.2 to 4.5): the objective
 * {@code E[log q_s(e_K) - log p(x, e_K)]} estimated with each chain's noise held fixed (its
 * log-determinant exact in float64, with its derivative in every step size) or with the noise
 * integrated out ({@link org.shortrun.stepsize.NoiseIntegration}), the closed forms of a linear
 * generator ({@link org.shortrun.stepsize.LinearGaussianEnergy}), and the searches over s.
 */
package org.shortrun.stepsize;
