package org.shortrun.zoo;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import org.shortrun.eval.Reconstruction;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinAutoencoder;
import org.shortrun.model.LangevinEncoder;

/**
 * Anomaly scores as a DJL {@link Translator}: each image's score is the posterior energy {@link
 * PosteriorEnergy#total()} of its inferred latents, {@code ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 /
 * 2}, plus E(e) for a Langevin autoencoder with an energy-based prior (clae); higher is more
 * anomalous.
 *
 * <p>The latents are inferred as {@link ReconstructionTranslator} infers them: for a Langevin
 * autoencoder (lae, clae) loaded for images, by the predictor's forward pass, which encodes and
 * generates; for any other model, by K Langevin steps from noise in pre-processing ({@link
 * Reconstruction#inferLatents}, the same draws for the same seed), the forward pass generating from
 * them. So {@link AnomalyScores#mse()} equals the reconstruction translator's errors for the same
 * images and seed. K, s and sigma come from the model's properties unless the builder overrides
 * them; a Langevin autoencoder uses sigma alone.
 */
public final class AnomalyTranslator implements Translator<ImageBatch, AnomalyScores> {

    private static final String IMAGES = "shortrun.images";
    private static final String LATENTS = "shortrun.latents";

    private final LangevinSettings settings;

    private AnomalyTranslator(Builder builder) {
        settings = builder.settings();
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns null: each input is a batch of its own, inferred together.
     *
     * @return null
     */
    @Override
    public Batchifier getBatchifier() {
        return null;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, ImageBatch input) throws TranslateException {
        Model model = ctx.getModel();
        LadderGenerator generator = ShortrunModels.generator(model);
        LangevinSettings.checkShape(generator.getConfig(), input);
        NDArray x = input.toNDArray(ctx.getNDManager());
        ctx.setAttachment(IMAGES, x);
        if (ShortrunModels.autoencoder(model) != null) {
            return new NDList(x);
        }
        NDList latents =
                Reconstruction.inferLatents(
                        generator,
                        new ParameterStore(ctx.getNDManager(), false),
                        settings.langevinFor(model),
                        settings.sigmaFor(model),
                        x,
                        settings.stream());
        ctx.setAttachment(LATENTS, latents);
        return latents;
    }

    /** {@inheritDoc} */
    @Override
    public AnomalyScores processOutput(TranslatorContext ctx, NDList list) {
        Model model = ctx.getModel();
        NDArray x = (NDArray) ctx.getAttachment(IMAGES);
        LangevinAutoencoder autoencoder = ShortrunModels.autoencoder(model);
        NDArray reconstruction;
        NDList latents;
        EnergyPrior prior;
        if (autoencoder != null) {
            reconstruction = list.get(0);
            latents =
                    LangevinEncoder.split(
                            list.get(1), autoencoder.getGenerator().getConfig().getZDims());
            prior = autoencoder.getPrior();
        } else {
            reconstruction = list.singletonOrThrow();
            latents = (NDList) ctx.getAttachment(LATENTS);
            prior = null;
        }
        PosteriorEnergy energy =
                PosteriorEnergy.of(
                        x,
                        reconstruction,
                        latents,
                        settings.sigmaFor(model),
                        prior,
                        new ParameterStore(ctx.getNDManager(), false),
                        false);
        float[] scores = energy.total().toFloatArray();
        // the errors as the reconstruction translator measures them, to the last bit
        double[] sums = Reconstruction.squaredErrors(x, reconstruction);
        double pixels = (double) x.size() / sums.length;
        float[] mse = new float[sums.length];
        for (int i = 0; i < mse.length; i++) {
            mse[i] = (float) (sums[i] / pixels);
        }
        return new AnomalyScores(scores, mse);
    }

    /** Builds an {@link AnomalyTranslator}. */
    public static final class Builder extends LangevinTranslatorBuilder<Builder> {

        Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the translator.
         *
         * @return the translator
         */
        public AnomalyTranslator build() {
            return new AnomalyTranslator(this);
        }
    }
}
