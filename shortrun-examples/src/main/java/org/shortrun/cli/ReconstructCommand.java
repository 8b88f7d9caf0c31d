package org.shortrun.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.eval.Reconstruction;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun reconstruct}: short-run inference on test images, and its error. */
@Command(
        name = "reconstruct",
        mixinStandardHelpOptions = true,
        description =
                "Reconstruct test images by short-run inference; prints the per-pixel MSE as JSON"
                        + " and writes originals above reconstructions.")
final class ReconstructCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Sampler sampler = new Options.Sampler();

    @Mixin Options.TestImages images = new Options.TestImages();

    @Option(
            names = "--out",
            paramLabel = "FILE",
            description = "PNG of the first 16 (default: reconstructions.png).")
    Path out = Path.of("reconstructions.png");

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        images.validate();
        Options.Evaluation evaluation = Options.Evaluation.open(input, data, sampler, engine);
        Json.print(
                Reconstruction.evaluate(
                                evaluation.checkpoint(),
                                evaluation.langevin(),
                                evaluation.sigma(),
                                evaluation.test(),
                                images.count,
                                images.batchSize,
                                out,
                                input.seed,
                                new ProgressBar(System.err, "img").asProgress())
                        .toMap());
        return 0;
    }
}
