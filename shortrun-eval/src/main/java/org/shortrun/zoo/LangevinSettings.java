package org.shortrun.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.method.LatentModel;
import org.shortrun.model.LatentGenerator;

/**
 * What a translator that infers latents was told: the Langevin settings that replace the model's
 * (K, s; {@link Langevin#overriding} is the rule), sigma, and the seed of every call's draws.
 */
record LangevinSettings(Integer steps, Float stepSize, Float sigma, Integer seed) {

    /**
     * The sampler to infer with instead of the model's own inference.
     *
     * @param model the model
     * @return the sampler, or null when no Langevin setting was given
     * @throws TranslateException if one was given and the model infers otherwise, or the settings
     *     do not make a sampler
     */
    Langevin samplerFor(LatentModel model) throws TranslateException {
        if (steps == null && stepSize == null) {
            return null;
        }
        if (!model.infersByLangevin()) {
            throw new TranslateException(
                    "the model was learned by "
                            + model.getMethod().getName()
                            + ", which does not infer by Langevin dynamics; leave out optSteps"
                            + " and optStepSize");
        }
        try {
            return model.getLangevin().overriding(steps, stepSize);
        } catch (IllegalArgumentException e) {
            throw new TranslateException(e.getMessage(), e);
        }
    }

    /**
     * The sampler inference from the observed pixels alone takes: the model's own, or the library's
     * default for a model that infers otherwise, with the given settings.
     *
     * @param model the model
     * @return the sampler
     * @throws TranslateException if the settings do not make a sampler
     */
    Langevin inpaintingSamplerFor(LatentModel model) throws TranslateException {
        try {
            return model.getLangevin().overriding(steps, stepSize);
        } catch (IllegalArgumentException e) {
            throw new TranslateException(e.getMessage(), e);
        }
    }

    /**
     * Sigma to infer with: the one given, or the model's.
     *
     * @param model the model
     * @return sigma
     * @throws TranslateException if the one given is not positive
     */
    float sigmaFor(LatentModel model) throws TranslateException {
        float value = sigma != null ? sigma : model.getSigma();
        if (!(value > 0f) || Float.isInfinite(value)) {
            throw new TranslateException("sigma must be positive, got " + value);
        }
        return value;
    }

    /** A call's draws: the same seed, the same numbers, on every call. */
    RandomStream stream() {
        return RandomStream.seeded(seed != null ? seed : 1);
    }

    static void checkShape(LatentGenerator generator, ImageBatch images) throws TranslateException {
        Shape expected = generator.getImageShape();
        Shape given = new Shape(images.getChannels(), images.getHeight(), images.getWidth());
        if (!expected.equals(given)) {
            throw new TranslateException(
                    "the model takes " + describe(expected) + " images, got " + describe(given));
        }
    }

    private static String describe(Shape shape) {
        return shape.get(0) + " x " + shape.get(1) + " x " + shape.get(2);
    }

    /** Every example's latents as rows of values, latent by latent. */
    static float[][][] latents(NDList latents) {
        float[][][] out = new float[latents.size()][][];
        for (int l = 0; l < latents.size(); l++) {
            NDArray layer = latents.get(l);
            int n = (int) layer.getShape().get(0);
            int d = n == 0 ? 0 : (int) (layer.size() / n);
            float[] flat = layer.toFloatArray();
            out[l] = new float[n][d];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * d, out[l][i], 0, d);
            }
        }
        return out;
    }
}
