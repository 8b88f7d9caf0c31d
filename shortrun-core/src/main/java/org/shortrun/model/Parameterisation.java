package org.shortrun.model;

/**
 * How a layer's latent is formed from the layer above and its own whitened noise e_l.
 *
 * <p>{@link #RELEASED}: {@code z_l = mu_l(h) + sd_l(h) * e_l}, the Gaussian of the released
 * script's default. {@link #LADDER}: {@code z_l = GELU(Linear([mu_l(h); e_l]))}, the alternative of
 * the paper's Fig. 5 (after Zhao et al. 2017, the released script's {@code use_ladder}): the noise
 * enters through its own weights, with no standard-deviation head, so that each layer's noise can
 * keep its own share of the image instead of being scaled into the layer above's.
 */
public enum Parameterisation {
    /** z = mu + sd * e, with Gaussian heads. */
    RELEASED,
    /** z = GELU(Linear([mu; e])), with mean heads only. */
    LADDER
}
