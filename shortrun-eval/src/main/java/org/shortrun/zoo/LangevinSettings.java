package org.shortrun.zoo;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.translate.TranslateException;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;

/**
 * The settings an inference translator shares: K, s and sigma overriding the model's properties,
 * and the seed of each call's random draws (null: 1, the commands' default), so that a call is
 * repeatable and the engine's own generator is left alone.
 */
record LangevinSettings(Integer steps, Float stepSize, Float sigma, Integer seed) {

    Langevin langevinFor(Model model) {
        return ShortrunModels.langevin(model, steps, stepSize);
    }

    float sigmaFor(Model model) {
        return ShortrunModels.sigma(model, sigma);
    }

    /** A call's draws: the same seed, the same numbers, on every call. */
    RandomStream stream() {
        return RandomStream.seeded(seed != null ? seed : 1);
    }

    static void checkShape(LadderConfig config, ImageBatch images) throws TranslateException {
        int side = config.getImageSize();
        if (images.getChannels() != config.getImageChannels()
                || images.getHeight() != side
                || images.getWidth() != side) {
            throw new TranslateException(
                    "the model takes "
                            + config.getImageChannels()
                            + " x "
                            + side
                            + " x "
                            + side
                            + " images, got "
                            + images.getChannels()
                            + " x "
                            + images.getHeight()
                            + " x "
                            + images.getWidth());
        }
    }

    /**
     * Refuses a model whose block is a Langevin autoencoder, for a translator whose forward pass is
     * the generator's: such a model was loaded for images, with its encoder.
     */
    static void requireGeneratorBlock(Model model) throws TranslateException {
        if (ShortrunModels.autoencoder(model) != null) {
            throw new TranslateException(
                    "model "
                            + model.getName()
                            + " was loaded for images, with its encoder as part of its block; load"
                            + " it with this translator's input type to get the generator alone");
        }
    }

    static float[][][] latents(ai.djl.ndarray.NDList latents) {
        float[][][] out = new float[latents.size()][][];
        for (int l = 0; l < latents.size(); l++) {
            NDArray layer = latents.get(l);
            int n = (int) layer.getShape().get(0);
            int d = (int) layer.getShape().get(1);
            float[] flat = layer.toFloatArray();
            out[l] = new float[n][d];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * d, out[l][i], 0, d);
            }
        }
        return out;
    }
}
