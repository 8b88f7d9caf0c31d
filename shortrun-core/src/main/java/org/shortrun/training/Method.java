package org.shortrun.training;

/** How a learner infers the latents of a training batch before it updates the generator. */
public enum Method {
    /**
     * Short-run inference (the paper's): K Langevin steps from noise, afresh for every batch.
     */
    SHORTRUN,
    /**
     * Alternating back-propagation (Han et al. 2017): K Langevin steps continuing each training
     * example's persistent chain, whose end is kept for the example's next visit. At test time,
     * chains start from noise, as short-run inference's do.
     */
    ABP
}
