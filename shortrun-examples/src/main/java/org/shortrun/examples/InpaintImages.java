package org.shortrun.examples;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.shortrun.eval.Mask;
import org.shortrun.zoo.ImageBatch;
import org.shortrun.zoo.InpaintRequest;
import org.shortrun.zoo.Inpainted;
import org.shortrun.zoo.InpaintingTranslator;
import org.shortrun.zoo.ShortrunModelZoo;

/**
 * Inpaints the PNG images of a folder (of the model's size) through a DJL {@code Predictor}: the
 * centre of each is hidden and filled in by inference from the rest. {@code InpaintImages [RUN
 * [IN_DIR [OUT_DIR [MASK]]]]}.
 */
public final class InpaintImages {

    private InpaintImages() {}

    /**
     * Reads {@code IN_DIR/*.png}, inpaints them and writes {@code OUT_DIR/inpainted-NNN.png}.
     *
     * @param args run directory (runs/mnist), input folder (samples), output folder (inpainted),
     *     mask (center; or pixels, left, right, top, bottom, blocks)
     * @throws Exception if the model or images cannot be read, or the files written
     */
    public static void main(String[] args) throws Exception {
        Path run = Path.of(args.length > 0 ? args[0] : "runs/mnist");
        Path in = Path.of(args.length > 1 ? args[1] : "samples");
        Path out = Path.of(args.length > 2 ? args[2] : "inpainted");
        Mask mask = Mask.valueOf((args.length > 3 ? args[3] : "center").toUpperCase(Locale.ROOT));

        List<Image> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(in)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".png")).sorted().toList()) {
                images.add(ImageFactory.getInstance().fromFile(file));
            }
        }
        Criteria<InpaintRequest, Inpainted> criteria =
                Criteria.builder()
                        .setTypes(InpaintRequest.class, Inpainted.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .optTranslator(InpaintingTranslator.builder().optSeed(1).build())
                        .build();
        try (ZooModel<InpaintRequest, Inpainted> model = criteria.loadModel();
                Predictor<InpaintRequest, Inpainted> predictor = model.newPredictor()) {
            int channels = Integer.parseInt(model.getProperty("imageChannels"));
            Inpainted result =
                    predictor.predict(
                            new InpaintRequest(
                                    ImageBatch.fromImages(images, channels), mask, 0.5, 1));
            List<Image> inpainted = result.inpainted().toImages();
            Files.createDirectories(out);
            for (int i = 0; i < inpainted.size(); i++) {
                try (OutputStream file =
                        Files.newOutputStream(
                                out.resolve(String.format("inpainted-%03d.png", i)))) {
                    inpainted.get(i).save(file, "png");
                }
            }
            double occluded = 0;
            for (double m : result.occludedMse()) {
                occluded += m / inpainted.size();
            }
            System.out.printf(
                    Locale.ROOT,
                    "{\"images\": %d, \"mask\": \"%s\", \"occluded_mse\": %s, \"out\": \"%s\"}%n",
                    inpainted.size(),
                    mask.label(),
                    occluded,
                    out);
        }
    }
}
