package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.Inpainting;
import org.shortrun.eval.Mask;
import org.shortrun.model.LatentGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun inpaint}: inference from the observed pixels alone, per mask. */
@Command(name = "inpaint", mixinStandardHelpOptions = true, showDefaultValues = true)
final class InpaintCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();
    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Sampler sampler = new Options.Sampler();
    @Mixin Options.TestImages images = new Options.TestImages();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--mask", split = ",", paramLabel = "KIND")
    Mask[] masks = Mask.values();

    @Option(names = "--fraction", paramLabel = "F")
    double fraction = 0.5;

    @Option(names = "--blocks", paramLabel = "N", converter = Options.PositiveInt.class)
    int blocks = 4;

    @Option(names = "--out", paramLabel = "DIR")
    Path out = Path.of("inpaint");

    @Override
    public Integer call() throws Exception {
        if (!(fraction > 0 && fraction < 1)) {
            throw new InputException("--fraction must be between 0 and 1, got " + fraction);
        }
        Checkpoint cp = input.read();
        ImageDataset test = Options.images(cp, data, engine, Split.TEST);
        Files.createDirectories(out);
        try (NDManager manager = NDManager.newBaseManager(engine.device())) {
            LatentGenerator generator = cp.loadGenerator(manager);
            ParameterStore store = new ParameterStore(manager, false);
            for (Mask mask : masks) {
                double parameter = mask == Mask.BLOCKS ? blocks : fraction;
                Inpainting inpainting =
                        new Inpainting(
                                generator,
                                store,
                                cp.getInpaintingLangevin(sampler.steps, sampler.stepSize),
                                sampler.sigma(cp),
                                mask,
                                parameter);
                Path png = out.resolve("inpaint-" + mask.label() + ".png");
                ProgressBar bar = new ProgressBar(System.err, "img");
                Json.print(
                        inpainting
                                .evaluate(
                                        test,
                                        images.count,
                                        images.batchSize,
                                        input.seed,
                                        manager,
                                        png,
                                        bar.asProgress())
                                .toMap(cp.getIteration()));
            }
        }
        return 0;
    }
}
