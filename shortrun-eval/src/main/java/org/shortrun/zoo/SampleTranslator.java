package org.shortrun.zoo;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import org.shortrun.RandomStream;

/**
 * Prior sampling as a DJL {@link Translator}: the request's latents are drawn from the model's
 * prior ({@link org.shortrun.method.LatentModel#drawLatents}: N(0, I), GLO's fitted Gaussian or
 * CLAE's energy-based prior) from a stream seeded with the request's seed (the engine's own
 * generator is left alone), the predictor runs the generator on them, and the images come back as
 * an {@link ImageBatch}. The same seed gives the same images as {@code shortrun sample --seed}.
 */
public final class SampleTranslator implements Translator<SampleRequest, ImageBatch> {

    private SampleTranslator() {}

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
    public NDList processInput(TranslatorContext ctx, SampleRequest input)
            throws TranslateException {
        return ShortrunModels.latentModel(ctx.getModel())
                .drawLatents(ctx.getNDManager(), input.count(), RandomStream.seeded(input.seed()));
    }

    /** {@inheritDoc} */
    @Override
    public ImageBatch processOutput(TranslatorContext ctx, NDList list) {
        return ImageBatch.of(list.singletonOrThrow());
    }

    /** Builds a {@link SampleTranslator}; there is nothing to set yet. */
    public static final class Builder {
        Builder() {}

        /**
         * Builds the translator.
         *
         * @return the translator
         */
        public SampleTranslator build() {
            return new SampleTranslator();
        }
    }
}
