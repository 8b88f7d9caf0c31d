package org.shortrun.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import org.shortrun.eval.AnomalyJob;
import org.shortrun.eval.Reconstruction;
import org.shortrun.method.LatentModel;

/**
 * Anomaly scores as a DJL {@link Translator}: each image's score is the posterior energy ({@link
 * AnomalyJob#energy}) of its inferred latents, {@code ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 / 2},
 * plus E(e) for a model with an energy-based prior (clae); higher is more anomalous.
 *
 * <p>The latents are inferred as {@link ReconstructionTranslator} infers them, with the same draws
 * for the same seed, so {@link AnomalyScores#mse()} equals the reconstruction translator's errors
 * for the same images and seed. The model's K, s and sigma are used unless the builder overrides
 * them.
 */
public final class AnomalyTranslator implements Translator<ImageBatch, AnomalyScores> {

    private static final String IMAGES = "shortrun.images";
    private static final String LATENTS = "shortrun.latents";
    private static final String SIGMA = "shortrun.sigma";

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
        LatentModel model = ShortrunModels.latentModel(ctx.getModel());
        LangevinSettings.checkShape(model.getGenerator(), input);
        NDArray x = input.toNDArray(ctx.getNDManager());
        ctx.setAttachment(IMAGES, x);
        float sigma = settings.sigmaFor(model);
        ctx.setAttachment(SIGMA, sigma);
        NDList latents =
                model.inferLatents(x, sigma, settings.stream(), settings.samplerFor(model));
        ctx.setAttachment(LATENTS, latents);
        return latents;
    }

    /** {@inheritDoc} */
    @Override
    public AnomalyScores processOutput(TranslatorContext ctx, NDList list)
            throws TranslateException {
        LatentModel model = ShortrunModels.latentModel(ctx.getModel());
        NDArray x = (NDArray) ctx.getAttachment(IMAGES);
        NDArray reconstruction = list.singletonOrThrow();
        NDList latents = (NDList) ctx.getAttachment(LATENTS);
        float sigma = (Float) ctx.getAttachment(SIGMA);
        float[] scores =
                AnomalyJob.energy(model, x, reconstruction, latents, sigma).total().toFloatArray();
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
