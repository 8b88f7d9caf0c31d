package org.shortrun.zoo;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import org.shortrun.RandomStream;
import org.shortrun.inference.PriorSampler;

/**
 * Prior sampling as a DJL {@link Translator}: the request's latents are drawn from N(0, I) with
 * {@link PriorSampler#latents} from a stream seeded with the request's seed (the engine's own
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
        LangevinSettings.requireGeneratorBlock(ctx.getModel());
        if ("clae".equals(ctx.getModel().getProperty(ShortrunModels.METHOD))) {
            // its prior is an energy-based model the generator-only block does not hold
            throw new TranslateException(
                    "a clae model's prior is its energy-based one, not the N(0, I) this translator"
                            + " draws from; sample it with shortrun sample or Learner.drawLatents");
        }
        return PriorSampler.latents(
                ShortrunModels.generator(ctx.getModel()),
                ctx.getNDManager(),
                input.count(),
                RandomStream.seeded(input.seed()));
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
