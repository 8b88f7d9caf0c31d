package org.shortrun.zoo;

import ai.djl.Model;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;

/**
 * The translators a shortrun model offers, chosen by the input and output types given to {@code
 * Criteria.builder().setTypes(...)}: {@link SampleRequest} to {@link ImageBatch} (sampling), {@link
 * ImageBatch} to {@link Reconstructed}, {@link ImageBatch} to {@link AnomalyScores}, {@link
 * InpaintRequest} to {@link Inpainted}. Criteria arguments {@code steps}, {@code stepSize}, {@code
 * sigma} and {@code seed} set the reconstruction, anomaly and inpainting translators' options.
 */
public final class ShortrunTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> SUPPORTED =
            Set.of(
                    new Pair<>(SampleRequest.class, ImageBatch.class),
                    new Pair<>(ImageBatch.class, Reconstructed.class),
                    new Pair<>(ImageBatch.class, AnomalyScores.class),
                    new Pair<>(InpaintRequest.class, Inpainted.class));

    /** Creates the factory. */
    public ShortrunTranslatorFactory() {}

    /** {@inheritDoc} */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return SUPPORTED;
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(
            Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (input == SampleRequest.class && output == ImageBatch.class) {
            return (Translator<I, O>) SampleTranslator.builder().build();
        }
        if (input == ImageBatch.class && output == Reconstructed.class) {
            return (Translator<I, O>)
                    withArguments(ReconstructionTranslator.builder(), arguments).build();
        }
        if (input == ImageBatch.class && output == AnomalyScores.class) {
            return (Translator<I, O>) withArguments(AnomalyTranslator.builder(), arguments).build();
        }
        if (input == InpaintRequest.class && output == Inpainted.class) {
            return (Translator<I, O>)
                    withArguments(InpaintingTranslator.builder(), arguments).build();
        }
        throw new TranslateException(
                "a shortrun model has no translator from "
                        + input.getName()
                        + " to "
                        + output.getName()
                        + "; supported: "
                        + SUPPORTED);
    }

    /** The Criteria arguments steps, stepSize, sigma and seed, where given. */
    private static <T extends LangevinTranslatorBuilder<T>> T withArguments(
            T b, Map<String, ?> arguments) {
        if (has(arguments, "steps")) {
            b.optSteps(Integer.parseInt(arguments.get("steps").toString()));
        }
        if (has(arguments, "stepSize")) {
            b.optStepSize(Float.parseFloat(arguments.get("stepSize").toString()));
        }
        if (has(arguments, "sigma")) {
            b.optSigma(Float.parseFloat(arguments.get("sigma").toString()));
        }
        if (has(arguments, "seed")) {
            b.optSeed(Integer.parseInt(arguments.get("seed").toString()));
        }
        return b;
    }

    private static boolean has(Map<String, ?> arguments, String key) {
        return arguments != null && arguments.get(key) != null;
    }
}
