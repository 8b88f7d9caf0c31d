package org.shortrun.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.Reconstruction;
import org.shortrun.inference.Langevin;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun reconstruct}: the test reconstruction error of a checkpoint's model. */
@Command(name = "reconstruct", mixinStandardHelpOptions = true, showDefaultValues = true)
final class ReconstructCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();
    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Sampler sampler = new Options.Sampler();
    @Mixin Options.TestImages images = new Options.TestImages();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--out", paramLabel = "FILE")
    Path out = Path.of("reconstructions.png");

    @Override
    public Integer call() throws Exception {
        Checkpoint cp = input.read();
        Langevin langevin = cp.getLangevin(sampler.steps, sampler.stepSize);
        float sigma = sampler.sigma(cp);
        ImageDataset test = Options.images(cp, data, engine, Split.TEST);
        Json.print(
                Reconstruction.evaluate(
                                cp,
                                langevin,
                                sigma,
                                test,
                                images.count,
                                images.batchSize,
                                out,
                                input.seed,
                                new ProgressBar(System.err, "img").asProgress(),
                                engine.device())
                        .toMap());
        return 0;
    }
}
