/**
 * The variational choice of the Langevin step size (the paper's sections 4.2 to 4.5): the exact
 * objective {@code E[log q_s(e_K) - log p(x, e_K)]} with its log-determinant in float64, its
 * derivative in every step size, and the searches over s.
 */
package org.shortrun.stepsize;
