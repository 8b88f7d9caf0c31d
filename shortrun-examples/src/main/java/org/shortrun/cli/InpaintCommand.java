package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.Inpainting;
import org.shortrun.eval.Mask;
import org.shortrun.inference.Langevin;
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

    @Option(names = "--blocks", paramLabel = "N")
    int blocks = 4;

    @Option(names = "--out", paramLabel = "DIR")
    Path out = Path.of("inpaint");

    @Override
    public Integer call() throws Exception {
        Checkpoint cp = input.read();
        Map<Mask, Double> settings = new LinkedHashMap<>();
        for (Mask mask : masks) {
            settings.put(mask, mask == Mask.BLOCKS ? (double) blocks : fraction);
            mask.check(settings.get(mask));
        }
        Langevin langevin = cp.getInpaintingLangevin(sampler.steps, sampler.stepSize);
        float sigma = sampler.sigma(cp);
        ImageDataset test = Options.images(cp, data, engine, Split.TEST);
        try (NDManager manager = NDManager.newBaseManager(engine.device())) {
            Inpainting.evaluate(
                    cp,
                    langevin,
                    sigma,
                    settings,
                    test,
                    images.count,
                    images.batchSize,
                    input.seed,
                    out,
                    manager,
                    new ProgressBar(System.err, "img").asProgress(),
                    report -> Json.print(report.toMap(cp.getIteration())));
        }
        return 0;
    }
}
