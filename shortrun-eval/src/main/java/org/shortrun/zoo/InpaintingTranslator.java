package org.shortrun.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.Random;
import org.shortrun.eval.Inpainting;
import org.shortrun.method.LatentModel;

/**
 * Inpainting by short-run inference as a DJL {@link Translator}: pre-processing draws the masks and
 * infers the latents from the observed pixels only ({@link Inpainting#drawMask}, {@link
 * Inpainting#inferLatents}), the predictor's forward pass generates the whole images, and
 * post-processing measures the errors with {@link Inpainting#squaredErrors}, as {@code shortrun
 * inpaint} does.
 *
 * <p>The sampler is the model's own for a model that infers by Langevin dynamics, and otherwise K =
 * 25 and s = 0.05; K, s and sigma may be overridden by the builder.
 */
public final class InpaintingTranslator implements Translator<InpaintRequest, Inpainted> {

    private static final String IMAGES = "shortrun.images";
    private static final String MASKS = "shortrun.masks";

    private final LangevinSettings settings;

    private InpaintingTranslator(Builder builder) {
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
     * Returns null: each request is a batch of its own.
     *
     * @return null
     */
    @Override
    public Batchifier getBatchifier() {
        return null;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, InpaintRequest input)
            throws TranslateException {
        LatentModel model = ShortrunModels.latentModel(ctx.getModel());
        LangevinSettings.checkShape(model.getGenerator(), input.images());
        Inpainting inpainting =
                new Inpainting(
                        model.getGenerator(),
                        model.getParameterStore(),
                        settings.inpaintingSamplerFor(model),
                        settings.sigmaFor(model),
                        input.mask(),
                        input.maskParameter());
        NDArray x = input.images().toNDArray(ctx.getNDManager());
        NDArray m = inpainting.drawMask(x, new Random(input.maskSeed()));
        ctx.setAttachment(IMAGES, x);
        ctx.setAttachment(MASKS, m);
        return inpainting.inferLatents(x, m, settings.stream());
    }

    /** {@inheritDoc} */
    @Override
    public Inpainted processOutput(TranslatorContext ctx, NDList list) {
        NDArray x = (NDArray) ctx.getAttachment(IMAGES);
        NDArray m = (NDArray) ctx.getAttachment(MASKS);
        NDArray inpainted = list.singletonOrThrow();
        double[][] sums = Inpainting.squaredErrors(x, m, inpainted);
        int n = sums[0].length;
        double[] occluded = new double[n];
        double[] observed = new double[n];
        for (int i = 0; i < n; i++) {
            occluded[i] = sums[2][i] > 0 ? sums[0][i] / sums[2][i] : Double.NaN;
            observed[i] = sums[3][i] > 0 ? sums[1][i] / sums[3][i] : Double.NaN;
        }
        return new Inpainted(ImageBatch.of(m), ImageBatch.of(inpainted), occluded, observed);
    }

    /** Builds an {@link InpaintingTranslator}. */
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
        public InpaintingTranslator build() {
            return new InpaintingTranslator(this);
        }
    }
}
