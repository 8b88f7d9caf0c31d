package org.shortrun.training;

/**
 * How a learner infers the latents of a training batch before it updates the generator, with
 * the settings each method was published with. Every method learns the same {@link
 * org.shortrun.model.LadderGenerator}; only the inference and the loss differ.
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
    ABP(40, 0.3f, 0.3f),
    /**
     * Ladder-VAE (Sønderby et al. 2016): a bottom-up encoder ({@link
     * org.shortrun.model.LadderEncoder}) whose Gaussians are merged with the generator's top-down
     * priors by precision weighting; the negative ELBO with KL warm-up. Reconstruction uses the
     * posterior means. Needs the released parameterisation, whose layers have Gaussian priors.
     * K and s are not used; sigma is the observation noise of the likelihood.
     */
    LVAE(25, 0.05f, 0.15f),
    /**
     * A VAE: the encoder's Gaussians are the posterior of every layer's whitened latent
     * directly, with no top-down merge (at L = 1 the same as {@link #LVAE}); the negative ELBO
     * with KL warm-up. K and s are not used; sigma is the observation noise.
     */
    VAE(25, 0.05f, 0.15f),
    /**
     * Generative latent optimisation (Bojanowski et al. 2018): one code per training example,
     * learned with the generator by gradient steps on the squared error and projected back to
     * the unit sphere (each layer's code separately); samples come from a full-covariance
     * Gaussian fitted to the codes. A held-out image's code starts from a draw of that Gaussian
     * and takes K projected gradient steps. s and sigma are not used.
     */
    GLO(100, 0.05f, 0.15f);

    private final int steps;
    private final float stepSize;
    private final float sigma;

    Method(int steps, float stepSize, float sigma) {
        this.steps = steps;
        this.stepSize = stepSize;
        this.sigma = sigma;
    }

    /** @return whether the learner keeps one latent per training example */
    public boolean isPersistent() {
        return this == ABP || this == GLO;
    }

    /** @return whether the method has an encoder, learned with the generator */
    public boolean isAmortised() {
        return this == LVAE || this == VAE;
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
