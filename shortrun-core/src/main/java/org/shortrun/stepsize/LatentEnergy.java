package org.shortrun.stepsize;

/**
 * The energy Langevin inference descends for one observed image, as a function of the whitened
 * latents of every layer concatenated: {@code U(e) = ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 / 2},
 * so that {@code log p(x, e) = -U(e) - logNormalizer()}. Evaluated in float64 at many points at
 * once, because the step-size objective needs Hessians built from gradients.
 */
public interface LatentEnergy {

    /** @return d, the number of latent dimensions over all layers */
    int dimension();

    /**
     * {@code (d / 2) log(2 pi) + (D / 2) log(2 pi sigma^2)} for D observed values: what turns
     * {@code -U} into {@code log p(x, e)}.
     *
     * @return the log normaliser
     */
    double logNormalizer();

    /**
     * Evaluates the energy and its gradient at m points.
     *
     * @param points {@code m * d} values, row-major
     * @param m the number of points
     * @param energies receives the m energies
     * @param gradients receives {@code m * d} gradient values, row-major
     */
    void evaluate(double[] points, int m, double[] energies, double[] gradients);
}
