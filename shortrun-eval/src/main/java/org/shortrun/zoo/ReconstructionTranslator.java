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
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinAutoencoder;
import org.shortrun.model.LangevinEncoder;

/**
 * Reconstruction by short-run inference as a DJL {@link Translator}. Pre-processing infers the
 * latents of the batch with {@link Reconstruction#inferLatents} (K Langevin steps from noise), the
 * predictor's forward pass generates from them, and post-processing measures the error with {@link
 * Reconstruction#squaredErrors}: the same calls, in the same order, as {@code shortrun
 * reconstruct}, so the same images and seed give the same MSE.
 *
 * <p>A Langevin autoencoder (lae, clae) loaded for images has a {@link LangevinAutoencoder} as its
 * block: its inference is one encoder pass, which the predictor's forward pass makes together with
 * the generator's, so pre-processing hands on the images and nothing is drawn.
 *
 * <p>K, s and sigma come from the model's properties (see {@link ShortrunModels}) unless the
 * builder overrides them.
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
        ctx.setAttachment(LATENTS, LangevinSettings.latents(latents));
        return latents;
    }

    /** {@inheritDoc} */
    @Override
    public Reconstructed processOutput(TranslatorContext ctx, NDList list) {
        NDArray x = (NDArray) ctx.getAttachment(IMAGES);
        LangevinAutoencoder autoencoder = ShortrunModels.autoencoder(ctx.getModel());
        NDArray reconstruction;
        float[][][] latents;
        if (autoencoder != null) {
            reconstruction = list.get(0);
            latents =
                    LangevinSettings.latents(
                            LangevinEncoder.split(
                                    list.get(1),
                                    autoencoder.getGenerator().getConfig().getZDims()));
        } else {
            reconstruction = list.singletonOrThrow();
            latents = (float[][][]) ctx.getAttachment(LATENTS);
        }
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
