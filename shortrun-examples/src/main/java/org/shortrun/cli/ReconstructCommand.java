package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import org.shortrun.RandomStream;
import org.shortrun.data.ImageDataset;
import org.shortrun.eval.Reconstruction;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Checkpoint;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code shortrun reconstruct}: short-run inference on test images, and its error. */
@Command(
        name = "reconstruct",
        mixinStandardHelpOptions = true,
        description = "Reconstruct test images by short-run inference; prints the per-pixel MSE as JSON and writes originals above reconstructions.")
final class ReconstructCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Sampler sampler = new Options.Sampler();

    @Mixin Options.TestImages images = new Options.TestImages();

    @Option(names = "--out", paramLabel = "FILE", description = "PNG of the first 16 (default: reconstructions.png).")
    Path out = Path.of("reconstructions.png");

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        images.validate();
        Options.Evaluation evaluation = Options.Evaluation.open(input, data, sampler, engine);
        Checkpoint cp = evaluation.checkpoint();
        Langevin langevin = evaluation.langevin();
        float sigma = evaluation.sigma();
        ImageDataset test = evaluation.test();
        Reconstruction.Error error;
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator generator = cp.loadGenerator(manager);
            ParameterStore store = new ParameterStore(manager, false);
            error = Reconstruction.measure(generator, store, langevin, sigma, test, images.count, images.batchSize, manager, RandomStream.seeded(input.seed), new ProgressBar(System.err, "img").asProgress());
            Reconstruction.writeComparison(generator, store, langevin, sigma, test, 16, manager, out, RandomStream.seeded(input.seed));
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("images", error.images());
        line.put("mse", error.mse());
        line.put("mse01", error.mse01());
        line.put("steps", langevin.getSteps());
        line.put("step_size", langevin.getStepSize());
        line.put("sigma", sigma);
        line.put("iteration", cp.getIteration());
        line.put("png", out.toString());
        Json.print(line);
        return 0;
    }
}
