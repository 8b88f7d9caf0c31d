package org.shortrun.training;

/**
 * How a learner infers the latents of a training batch before it updates the generator, with
 * the Langevin settings each method was published with.
 */
public enum Method {
    /**
     * Short-run inference (the paper's): K Langevin steps from noise, afresh for every batch; the
     * released script's K = 25, s = 0.05, sigma = 0.15.
     */
    SHORTRUN(25, 0.05f, 0.15f),
    /**
     * Alternating back-propagation (Han et al. 2017): K Langevin steps continuing each training
     * example's persistent chain, whose end is kept for the example's next visit; their K = 40,
     * s = 0.3, sigma = 0.3. At test time, chains start from noise, as short-run inference's do.
     */
    ABP(40, 0.3f, 0.3f);

    private final int steps;
    private final float stepSize;
    private final float sigma;

    Method(int steps, float stepSize, float sigma) {
        this.steps = steps;
        this.stepSize = stepSize;
        this.sigma = sigma;
    }

    /** @return the published number of Langevin steps K */
    public int getSteps() {
        return steps;
    }

    /** @return the published Langevin step size s */
    public float getStepSize() {
        return stepSize;
    }

    /** @return the published observation noise sigma */
    public float getSigma() {
        return sigma;
    }
}
