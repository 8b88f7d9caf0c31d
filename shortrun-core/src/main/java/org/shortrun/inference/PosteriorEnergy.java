package org.shortrun.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Latents;

/**
 * The energy of an example's latents, {@code U(x, e) = ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 / 2 +
 * E(e)}, minus log p(x, e) up to a constant: the likelihood term, the whitened latents' N(0, I)
 * prior, and for an energy-based prior ({@link EnergyPrior}) its energy. Short-run and amortised
 * Langevin dynamics descend it; it is also the anomaly score of an inferred latent. Computed in the
 * caller's autograd graph, with its constants as arrays (docs/DESIGN.md says why).
 *
 * @param squaredError {@code ||x - g(e)||^2} of each example, {@code [n]}
 * @param total U of each example, {@code [n]}
 */
public record PosteriorEnergy(NDArray squaredError, NDArray total) {

    /**
     * Computes the energy of each example.
     *
     * @param generator the generator
     * @param parameterStore the store its parameters (and the prior's) are read from
     * @param x the images {@code [n, c, h, w]}; the constants go to their manager
     * @param latents the whitened latents, top first, each {@code [n, z_l]}
     * @param sigma the observation noise standard deviation
     * @param prior the energy-based prior, or null for N(0, I) alone
     * @param training whether this is a training pass
     * @return the squared errors and the energies
     */
    public static PosteriorEnergy of(
            LatentGenerator generator,
            ParameterStore parameterStore,
            NDArray x,
            NDList latents,
            float sigma,
            EnergyPrior prior,
            boolean training) {
        NDArray reconstruction =
                generator.forward(parameterStore, latents, training).singletonOrThrow();
        return of(x, reconstruction, latents, sigma, prior, parameterStore, training);
    }

    /**
     * Computes the energy of each example from its reconstruction g(e), already generated.
     *
     * @param x the images {@code [n, c, h, w]}; the constants go to their manager
     * @param reconstruction g(e), x's shape
     * @param latents the whitened latents e, top first, each {@code [n, z_l]}
     * @param sigma the observation noise standard deviation
     * @param prior the energy-based prior, or null for N(0, I) alone
     * @param parameterStore the store the prior's parameters are read from
     * @param training whether this is a training pass
     * @return the squared errors and the energies
     */
    public static PosteriorEnergy of(
            NDArray x,
            NDArray reconstruction,
            NDList latents,
            float sigma,
            EnergyPrior prior,
            ParameterStore parameterStore,
            boolean training) {
        NDManager manager = x.getManager();
        NDArray squaredError = x.sub(reconstruction).square().sum(new int[] {1, 2, 3});
        NDArray e = Latents.concat(latents);
        NDArray total =
                squaredError
                        .mul(manager.full(new Shape(), 1f / (2f * sigma * sigma), x.getDataType()))
                        .add(
                                e.square()
                                        .sum(new int[] {1})
                                        .mul(manager.full(new Shape(), 0.5f, x.getDataType())));
        if (prior != null) {
            total = total.add(prior.energy(parameterStore, e, training));
        }
        return new PosteriorEnergy(squaredError, total);
    }

    /**
     * Adds a learned prior's energy {@code E(e)} of each example.
     *
     * @param priorEnergy {@code [n]}
     * @return the squared errors and the energies with it
     */
    public PosteriorEnergy withPriorEnergy(NDArray priorEnergy) {
        return new PosteriorEnergy(squaredError, total.add(priorEnergy));
    }
}
