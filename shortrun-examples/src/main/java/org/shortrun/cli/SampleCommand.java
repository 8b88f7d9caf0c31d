package org.shortrun.cli;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import org.shortrun.RandomStream;
import org.shortrun.eval.ImageGrid;
import org.shortrun.inference.PriorSampler;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.Method;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code shortrun sample}: draws from the prior of a checkpoint's model. */
@Command(name = "sample", mixinStandardHelpOptions = true, description = "Write prior samples of a checkpoint's model as a PNG grid.")
final class SampleCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();

    @Option(names = "--count", paramLabel = "N", description = "Number of samples (default: 64).")
    int count = 64;

    @Option(names = "--columns", paramLabel = "N", description = "Images per row (default: 8).")
    int columns = 8;

    @Option(names = "--out", paramLabel = "FILE", description = "PNG to write (default: samples.png).")
    Path out = Path.of("samples.png");

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        Options.positive("--count", count);
        Options.positive("--columns", columns);
        Checkpoint cp = input.read();
        engine.start(false);
        try (NDManager manager = NDManager.newBaseManager()) {
            if (cp.getLearningConfig().getMethod() == Method.GLO) {
                // GLO's prior is the Gaussian fitted to its codes, not N(0, I)
                Learner learner = cp.restore(cp.getLearningConfig(), manager);
                NDList latents = learner.drawLatents(manager, count, RandomStream.seeded(input.seed));
                ImageGrid.write(learner.getGenerator().forward(learner.getParameterStore(), latents, false).singletonOrThrow(), columns, out);
            } else {
                LadderGenerator generator = cp.loadGenerator(manager);
                ImageGrid.write(PriorSampler.sample(generator, new ParameterStore(manager, false), manager, count, RandomStream.seeded(input.seed)), columns, out);
            }
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("samples", count);
        line.put("iteration", cp.getIteration());
        line.put("png", out.toString());
        Json.print(line);
        return 0;
    }
}
