package org.shortrun.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.eval.LayerVariation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun hierarchy}: the layer-wise variation grids of the paper's Fig. 5. */
@Command(name = "hierarchy", mixinStandardHelpOptions = true, showDefaultValues = true)
final class HierarchyCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--rows", paramLabel = "N")
    int rows = 8;

    @Option(names = "--columns", paramLabel = "N")
    int columns = 8;

    @Option(names = "--out", paramLabel = "DIR")
    Path out = Path.of("hierarchy");

    @Override
    public Integer call() throws Exception {
        engine.start(false);
        Json.print(
                LayerVariation.writeGrids(
                                input.read(), rows, columns, out, input.seed, engine.device())
                        .toMap());
        return 0;
    }
}
