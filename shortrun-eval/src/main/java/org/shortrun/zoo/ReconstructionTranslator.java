package org.shortrun.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import org.shortrun.eval.Reconstruction;
import org.shortrun.method.LatentModel;

/**
 * Reconstruction as a DJL {@link Translator}. Pre-processing infers the latents of the batch by the
 * model's own inference ({@link org.shortrun.method.LatentModel#inferLatents}: K Langevin steps
 * from noise, an encoder, a code search), the predictor's forward pass generates from them, and
 * post-processing measures the error with {@link Reconstruction#squaredErrors}: the same calls, in
 * the same order, as {@code shortrun reconstruct}, so the same images and seed give the same MSE.
 *
 * <p>The model's K, s and sigma are used unless the builder overrides them ({@link
 * org.shortrun.inference.Langevin#overriding}); K and s only for a model that infers by Langevin
 * dynamics.
 */
public final class ReconstructionTranslator implements Translator<ImageBatch, Reconstructed> {

    private static final String IMAGES = "shortrun.images";
    private static final String LATENTS = "shortrun.latents";

    private final LangevinSettings settings;

    private ReconstructionTranslator(Builder builder) {
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
        NDList latents =
                model.inferLatents(
                        x, settings.sigmaFor(model), settings.stream(), settings.samplerFor(model));
        ctx.setAttachment(LATENTS, LangevinSettings.latents(latents));
        return latents;
    }

    /** {@inheritDoc} */
    @Override
    public Reconstructed processOutput(TranslatorContext ctx, NDList list) {
        NDArray x = (NDArray) ctx.getAttachment(IMAGES);
        NDArray reconstruction = list.singletonOrThrow();
        float[][][] latents = (float[][][]) ctx.getAttachment(LATENTS);
        double[] sums = Reconstruction.squaredErrors(x, reconstruction);
        double pixels = (double) x.size() / sums.length;
        double[] mse = new double[sums.length];
        for (int i = 0; i < mse.length; i++) {
            mse[i] = sums[i] / pixels;
        }
        return new Reconstructed(ImageBatch.of(reconstruction), latents, mse);
    }

    /** Builds a {@link ReconstructionTranslator}. */
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
        public ReconstructionTranslator build() {
            return new ReconstructionTranslator(this);
        }
    }
}
