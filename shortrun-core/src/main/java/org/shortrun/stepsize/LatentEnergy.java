package org.shortrun.stepsize;

import org.ejml.data.DMatrixRMaj;

/**
 * The energy Langevin inference descends for one observed image, as a function of the whitened
 * latents of every layer concatenated: {@code U(e) = ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 / 2},
 * so that {@code log p(x, e) = -U(e) - logNormalizer()}. Evaluated in float64 at many points at
 * once, because the step-size objective needs Hessians built from gradients.
 */
public interface LatentEnergy {

    /**
     * @return d, the number of latent dimensions over all layers
     */
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

    /**
     * The gradient at e and the Hessian there by forward differences of gradients, column i being
     * {@code (grad U(e + h u_i) - grad U(e)) / h}. By default that is d + 1 points in one batch; an
     * energy whose structure makes some of those gradients cheaper may override this. The result
     * need not be symmetrised.
     *
     * @param e the point, d values
     * @param spacing h
     * @param gradient receives grad U(e), d values, as this energy computes it
     * @param hessian receives the d x d differences
     */
    default void forwardDifferenceHessian(
            double[] e, double spacing, double[] gradient, DMatrixRMaj hessian) {
        int d = dimension();
        int m = d + 1;
        double[] points = new double[m * d];
        for (int p = 0; p < m; p++) {
            System.arraycopy(e, 0, points, p * d, d);
        }
        for (int i = 0; i < d; i++) {
            points[(1 + i) * d + i] += spacing;
        }
        double[] energies = new double[m];
        double[] gradients = new double[m * d];
        evaluate(points, m, energies, gradients);
        System.arraycopy(gradients, 0, gradient, 0, d);
        for (int i = 0; i < d; i++) {
            int plus = (1 + i) * d;
            for (int r = 0; r < d; r++) {
                hessian.unsafe_set(r, i, (gradients[plus + r] - gradients[r]) / spacing);
            }
        }
    }
}
