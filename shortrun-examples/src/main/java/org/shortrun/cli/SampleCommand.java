package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.shortrun.eval.ImageGrid;
import org.shortrun.eval.fid.GeneratorImages;
import org.shortrun.training.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun sample}: prior samples of a checkpoint's model as a PNG grid. */
@Command(name = "sample", mixinStandardHelpOptions = true, showDefaultValues = true)
final class SampleCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--count", paramLabel = "N")
    int count = 64;

    @Option(names = "--columns", paramLabel = "N")
    int columns = 8;

    @Option(names = "--out", paramLabel = "FILE")
    Path out = Path.of("samples.png");

    @Override
    public Integer call() throws Exception {
        Checkpoint cp = input.read();
        engine.start(false);
        try (NDManager manager = NDManager.newBaseManager(engine.device())) {
            ImageGrid.write(
                    GeneratorImages.of(cp, manager, input.seed).get(manager, 0, count),
                    columns,
                    out);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("samples", count);
        line.put("iteration", cp.getIteration());
        line.put("png", out.toString());
        Json.print(line);
        return 0;
    }
}
