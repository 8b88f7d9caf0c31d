package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.eval.Inpainting;
import org.shortrun.eval.Mask;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun inpaint}: fill in occluded test images by short-run inference on what is seen.
 */
@Command(
        name = "inpaint",
        mixinStandardHelpOptions = true,
        description =
                "Inpaint occluded test images; writes one PNG per mask (original / occluded /"
                    + " inpainted rows) and prints the MSE on occluded and observed pixels as JSON,"
                    + " a line per mask.")
final class InpaintCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Sampler sampler = new Options.Sampler();

    @Option(
            names = "--mask",
            split = ",",
            paramLabel = "KIND",
            description =
                    "center, pixels, left, right, top, bottom, blocks; comma-separated (default:"
                            + " all).")
    Mask[] masks = Mask.values();

    @Option(
            names = "--fraction",
            paramLabel = "F",
            description = "pixels: fraction occluded (default: 0.5).")
    double fraction = 0.5;

    @Option(
            names = "--blocks",
            paramLabel = "N",
            description = "blocks: number of quarter-side squares occluded (default: 4).")
    int blocks = 4;

    @Mixin Options.TestImages images = new Options.TestImages();

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Directory for inpaint-<mask>.png (default: inpaint).")
    Path out = Path.of("inpaint");

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        images.validate();
        Options.positive("--blocks", blocks);
        if (!(fraction > 0 && fraction < 1)) {
            throw new InputException("--fraction must be between 0 and 1, got " + fraction);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new InputException("--out " + out + " is a file, not a directory");
        }
        Options.Evaluation evaluation = Options.Evaluation.open(input, data, sampler, engine);
        Checkpoint cp = evaluation.checkpoint();
        Files.createDirectories(out);
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            LadderGenerator generator = cp.loadGenerator(manager);
            for (Mask mask : masks) {
                Inpainting inpainting =
                        new Inpainting(
                                generator,
                                store,
                                evaluation.langevin(),
                                evaluation.sigma(),
                                mask,
                                mask == Mask.BLOCKS ? blocks : fraction);
                Path png = out.resolve("inpaint-" + mask.label() + ".png");
                Json.print(
                        inpainting
                                .evaluate(
                                        evaluation.test(),
                                        images.count,
                                        images.batchSize,
                                        input.seed,
                                        manager,
                                        png,
                                        new ProgressBar(System.err, "img").asProgress())
                                .toMap(cp.getIteration()));
            }
        }
        return 0;
    }
}
