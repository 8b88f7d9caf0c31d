package org.shortrun.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.shortrun.RandomStream;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Parameterisation;

/**
 * The Gaussian posterior of an encoder over a generator's whitened latents, as a VAE or a
 * Ladder-VAE forms it, with its KL divergence from the prior.
 *
 * <p>With the {@linkplain #ladder ladder merge} (Sønderby et al. 2016), the top layer's posterior
 * is the encoder's Gaussian; below it, the encoder's {@code N(mu_hat, sd_hat^2)} and the
 * generator's top-down prior {@code N(mu_p, sd_p^2)} of {@code z_l} merge by precision weighting:
 *
 * <pre>
 *   var_q = 1 / (sd_hat^-2 + sd_p^-2)
 *   mu_q  = (mu_hat sd_hat^-2 + mu_p sd_p^-2) var_q
 * </pre>
 *
 * <p>Since {@code z_l = mu_p + sd_p e_l}, that is {@code e_l ~ N(m, v^2)} with {@code m = (mu_q -
 * mu_p) / sd_p} and {@code v = sqrt(var_q) / sd_p}, and KL(q(z_l) || p(z_l)) = KL(N(m, v^2) || N(0,
 * I)) = {@code sum (m^2 + v^2 - log v^2 - 1) / 2}. Without the merge (a VAE), every layer's {@code
 * (m, v)} is the encoder's Gaussian itself.
 */
public final class AmortisedPosterior {

    /**
     * One pass through the posterior and the generator.
     *
     * @param reconstruction the images generated from the latents
     * @param latents the whitened latents, top first
     * @param kl per example, KL(q(e | x) || N(0, I)) summed over the layers, {@code [n]}
     */
    public record Pass(NDArray reconstruction, NDList latents, NDArray kl) {}

    private final boolean ladder;

    private AmortisedPosterior(boolean ladder) {
        this.ladder = ladder;
    }

    /**
     * Ladder-VAE's posterior: the precision-weighted merge of the encoder's Gaussians with the
     * generator's top-down priors.
     *
     * @return the posterior
     */
    public static AmortisedPosterior ladder() {
        return new AmortisedPosterior(true);
    }

    /**
     * A VAE's posterior: the encoder's Gaussians over the whitened latents, independent across
     * layers.
     *
     * @return the posterior
     */
    public static AmortisedPosterior independent() {
        return new AmortisedPosterior(false);
    }

    /**
     * Infers the posterior of a batch, draws its latents (or takes their means) and generates from
     * them.
     *
     * @param generator the generator; for the ladder merge a {@link LadderGenerator} of the
     *     released parameterisation, whose layers have Gaussian priors
     * @param encoder the encoder: images to {@code (mu_l, sd_l)} per latent, top first, each of the
     *     latent's shape
     * @param parameterStore the store both read their parameters from
     * @param x the images; every array made here goes to their manager
     * @param stream where the reparameterisation noise comes from; null for the posterior means
     * @param training whether this is a training pass
     * @return the reconstruction, the latents and the KL of each example
     * @throws IllegalArgumentException for the ladder merge on a generator without Gaussian priors
     */
    public Pass pass(
            LatentGenerator generator,
            Block encoder,
            ParameterStore parameterStore,
            NDArray x,
            RandomStream stream,
            boolean training) {
        NDManager manager = x.getManager();
        NDList bottomUp = encoder.forward(parameterStore, new NDList(x), training);
        NDList latents = new NDList();
        NDArray[] kl = new NDArray[1];
        LadderGenerator.LatentChoice choice =
                (layer, priorMean, priorSd) -> {
                    NDArray muHat = bottomUp.get(2 * layer);
                    NDArray sdHat = bottomUp.get(2 * layer + 1);
                    NDList q =
                            ladder && priorSd != null
                                    ? merge(muHat, sdHat, priorMean, priorSd)
                                    : new NDList(muHat, sdHat);
                    NDArray m = q.get(0);
                    NDArray v = q.get(1);
                    NDArray layerKl = klFromStandardNormal(m, v);
                    kl[0] = kl[0] == null ? layerKl : kl[0].add(layerKl);
                    NDArray e = m;
                    if (stream != null) {
                        e =
                                m.add(
                                        v.mul(
                                                stream.normal(manager, m.getShape())
                                                        .toType(m.getDataType(), false)));
                    }
                    latents.add(e);
                    return e;
                };
        NDArray reconstruction;
        if (ladder) {
            reconstruction = requireLadder(generator).generate(parameterStore, training, choice);
        } else {
            for (int l = 0; l < generator.getLatentShapes().size(); l++) {
                choice.choose(l, null, null);
            }
            reconstruction =
                    generator.forward(parameterStore, latents, training).singletonOrThrow();
        }
        return new Pass(reconstruction, latents, kl[0]);
    }

    /**
     * The generator the ladder merge needs: a ladder whose layers below the top have Gaussian
     * priors.
     *
     * @param generator the generator
     * @return it, as a ladder
     * @throws IllegalArgumentException if it is another generator, or a ladder of the ladder
     *     parameterisation with more than one layer
     */
    public static LadderGenerator requireLadder(LatentGenerator generator) {
        if (!(generator instanceof LadderGenerator ladder)) {
            throw new IllegalArgumentException(
                    "Ladder-VAE merges the ladder generator's top-down Gaussian priors, and "
                            + generator
                            + " is not a ladder generator; use a VAE");
        }
        if (ladder.getConfig().getLayers() > 1
                && ladder.getConfig().getParameterisation() != Parameterisation.RELEASED) {
            throw new IllegalArgumentException(
                    "Ladder-VAE merges each layer's Gaussian prior with its encoder's, and the "
                            + ladder.getConfig()
                                    .getParameterisation()
                                    .name()
                                    .toLowerCase(java.util.Locale.ROOT)
                            + " parameterisation has none; use the released one");
        }
        return ladder;
    }

    /**
     * Merges an encoder's Gaussian with a prior by precision weighting, in the prior's whitened
     * coordinates.
     *
     * @param muHat the encoder's mean of {@code z_l}
     * @param sdHat the encoder's standard deviation
     * @param priorMean the prior's mean of {@code z_l}
     * @param priorSd the prior's standard deviation
     * @return {@code (m, v)}: the posterior of {@code e_l} is {@code N(m, v^2)}
     */
    public static NDList merge(NDArray muHat, NDArray sdHat, NDArray priorMean, NDArray priorSd) {
        // constants as arrays: a graph must not multiply by a Java number (docs/DESIGN.md)
        NDArray one = muHat.getManager().ones(new Shape(), muHat.getDataType());
        NDArray precisionHat = one.div(sdHat.square());
        NDArray precisionPrior = one.div(priorSd.square());
        NDArray variance = one.div(precisionHat.add(precisionPrior));
        NDArray mean = muHat.mul(precisionHat).add(priorMean.mul(precisionPrior)).mul(variance);
        return new NDList(mean.sub(priorMean).div(priorSd), variance.sqrt().div(priorSd));
    }

    /**
     * KL(N(m, v^2) || N(0, I)) of each example, summed over dimensions: {@code sum (m^2 + v^2 - log
     * v^2 - 1) / 2}.
     *
     * @param m the means {@code [n, z]}
     * @param v the standard deviations {@code [n, z]}
     * @return {@code [n]}
     */
    public static NDArray klFromStandardNormal(NDArray m, NDArray v) {
        NDArray half = m.getManager().full(new Shape(), 0.5f, m.getDataType());
        if (m.getShape().dimension() != 2) {
            m = m.reshape(m.getShape().get(0), -1);
            v = v.reshape(v.getShape().get(0), -1);
        }
        NDArray v2 = v.square();
        return m.square().add(v2).sub(v2.log()).sub(1f).sum(new int[] {1}).mul(half);
    }
}
