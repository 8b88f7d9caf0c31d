package org.shortrun.examples;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.shortrun.zoo.ImageBatch;
import org.shortrun.zoo.SampleRequest;
import org.shortrun.zoo.ShortrunModelZoo;

/**
 * Draws prior samples of a trained model through a DJL {@code Predictor} and saves them as PNG
 * files: {@code SampleImages [RUN [COUNT [OUT_DIR [SEED]]]]}.
 */
public final class SampleImages {

    private SampleImages() {}

    /**
     * Loads the run through {@code Criteria}, samples and writes {@code sample-NNN.png}.
     *
     * @param args run directory (runs/mnist), count (64), output folder (samples), seed (1)
     * @throws Exception if the model cannot be loaded or the files written
     */
    public static void main(String[] args) throws Exception {
        Path run = Path.of(args.length > 0 ? args[0] : "runs/mnist");
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        Path out = Path.of(args.length > 2 ? args[2] : "samples");
        int seed = args.length > 3 ? Integer.parseInt(args[3]) : 1;

        Criteria<SampleRequest, ImageBatch> criteria =
                Criteria.builder()
                        .setTypes(SampleRequest.class, ImageBatch.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .build();
        try (ZooModel<SampleRequest, ImageBatch> model = criteria.loadModel();
                Predictor<SampleRequest, ImageBatch> predictor = model.newPredictor()) {
            List<Image> images = predictor.predict(new SampleRequest(count, seed)).toImages();
            Files.createDirectories(out);
            for (int i = 0; i < images.size(); i++) {
                try (OutputStream file =
                        Files.newOutputStream(out.resolve(String.format("sample-%03d.png", i)))) {
                    images.get(i).save(file, "png");
                }
            }
            System.out.println(
                    count
                            + " samples of the model at iteration "
                            + model.getProperty("iteration")
                            + " in "
                            + out);
        }
    }
}
