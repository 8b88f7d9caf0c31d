package org.shortrun.examples;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;
import java.util.Locale;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.zoo.ImageBatch;
import org.shortrun.zoo.Reconstructed;
import org.shortrun.zoo.ReconstructionTranslator;
import org.shortrun.zoo.ShortrunModelZoo;

/**
 * Reconstructs held-out MNIST images by short-run inference through a DJL {@code Predictor} and
 * prints the per-pixel MSE, the figure {@code shortrun reconstruct} prints for the same images and
 * seed: {@code ReconstructImages [RUN [COUNT [SEED]]]}.
 */
public final class ReconstructImages {

    private ReconstructImages() {}

    /**
     * Loads the run, reconstructs the first COUNT of the embedded test set's last 1,000 images (the
     * command's test split) in one batch and prints the MSE.
     *
     * @param args run directory (runs/mnist), count (100), seed (1)
     * @throws Exception if the model cannot be loaded or inference fails
     */
    public static void main(String[] args) throws Exception {
        Path run = Path.of(args.length > 0 ? args[0] : "runs/mnist");
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int seed = args.length > 2 ? Integer.parseInt(args[2]) : 1;

        ImageDataset test = MnistImages.embedded(32).slice(9_000, MnistImages.EMBEDDED_COUNT);
        ImageBatch images;
        try (NDManager manager = NDManager.newBaseManager()) {
            images = ImageBatch.of(test.batch(manager, 0, count));
        }
        Criteria<ImageBatch, Reconstructed> criteria =
                Criteria.builder()
                        .setTypes(ImageBatch.class, Reconstructed.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .optTranslator(ReconstructionTranslator.builder().optSeed(seed).build())
                        .build();
        try (ZooModel<ImageBatch, Reconstructed> model = criteria.loadModel();
                Predictor<ImageBatch, Reconstructed> predictor = model.newPredictor()) {
            Reconstructed result = predictor.predict(images);
            System.out.printf(
                    Locale.ROOT,
                    "{\"images\": %d, \"mse\": %s, \"steps\": %s, \"step_size\": %s, \"sigma\":"
                            + " %s}%n",
                    count,
                    result.meanMse(),
                    model.getProperty("steps"),
                    model.getProperty("stepSize"),
                    model.getProperty("sigma"));
        }
    }
}
