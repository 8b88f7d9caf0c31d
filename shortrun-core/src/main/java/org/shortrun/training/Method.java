package org.shortrun.training;

/**
 * How a learner infers the latents of a training batch before it updates the generator, with the
 * settings each method was published with. Every method learns the same {@link
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
     * example's persistent chain, whose end is kept for the example's next visit; their K = 40, s =
     * 0.3, sigma = 0.3. At test time, chains start from noise, as short-run inference's do.
     */
    ABP(40, 0.3f, 0.3f),
    /**
     * Ladder-VAE (Sønderby et al. 2016): a bottom-up encoder ({@link
     * org.shortrun.model.LadderEncoder}) whose Gaussians are merged with the generator's top-down
     * priors by precision weighting; the negative ELBO with KL warm-up. Reconstruction uses the
     * posterior means. Needs the released parameterisation, whose layers have Gaussian priors. K
     * and s are not used; sigma is the observation noise of the likelihood.
     */
    LVAE(25, 0.05f, 0.15f),
    /**
     * A VAE: the encoder's Gaussians are the posterior of every layer's whitened latent directly,
     * with no top-down merge (at L = 1 the same as {@link #LVAE}); the negative ELBO with KL
     * warm-up. K and s are not used; sigma is the observation noise.
     */
    VAE(25, 0.05f, 0.15f),
    /**
     * Generative latent optimisation (Bojanowski et al. 2018): one code per training example,
     * learned with the generator by gradient steps on the squared error and projected back to the
     * unit sphere (each layer's code separately); samples come from a full-covariance Gaussian
     * fitted to the codes. A held-out image's code starts from a draw of that Gaussian and takes K
     * projected gradient steps. s and sigma are not used.
     */
    GLO(100, 0.05f, 0.15f),
    /**
     * The Langevin autoencoder (Taniguchi et al. 2022): an encoder {@code e = W h(x)} ({@link
     * org.shortrun.model.LangevinEncoder}) whose final linear map W is sampled by amortised
     * Langevin dynamics ({@link org.shortrun.inference.AmortisedLangevin}) while the trunk h and
     * the generator learn from the energy of the samples; inference of a held-out image is one
     * encoder pass. K is the number of W updates per batch whose energies the learning uses (after
     * one burn-in update), s the step size eta of W's update; the authors' K = 2, and eta = 1e-5,
     * chosen on MNIST (docs/LANGEVIN-AUTOENCODERS.md).
     */
    LAE(2, 1e-5f, 0.15f),
    /**
     * The contrastive Langevin autoencoder: {@link #LAE} with an energy-based latent prior, {@code
     * p(e) ~ exp(-E(e)) N(e; 0, I)} ({@link org.shortrun.model.EnergyPrior}), learned contrastively
     * against short-run Langevin samples of the prior started from noise. K and s are LAE's.
     */
    CLAE(2, 1e-5f, 0.15f);

    private final int steps;
    private final float stepSize;
    private final float sigma;

    Method(int steps, float stepSize, float sigma) {
        this.steps = steps;
        this.stepSize = stepSize;
        this.sigma = sigma;
    }

    /**
     * @return whether the learner keeps one latent per training example
     */
    public boolean isPersistent() {
        return this == ABP || this == GLO;
    }

    /**
     * @return whether the method has an encoder, learned with the generator
     */
    public boolean isAmortised() {
        return isVariational() || isLangevinAutoencoder();
    }

    /**
     * @return whether the encoder gives a Gaussian posterior and the loss is the negative ELBO
     */
    public boolean isVariational() {
        return this == LVAE || this == VAE;
    }

    /**
     * @return whether the encoder's final linear map is sampled by amortised Langevin dynamics
     */
    public boolean isLangevinAutoencoder() {
        return this == LAE || this == CLAE;
    }

    /**
     * @return whether the latent prior is an energy-based model, learned with the generator
     */
    public boolean hasEnergyPrior() {
        return this == CLAE;
    }

    /**
     * @return the published number of Langevin steps K
     */
    public int getSteps() {
        return steps;
    }

    /**
     * @return the published Langevin step size s
     */
    public float getStepSize() {
        return stepSize;
    }

    /**
     * @return the published observation noise sigma
     */
    public float getSigma() {
        return sigma;
    }
}
