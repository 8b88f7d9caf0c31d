package org.shortrun.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.eval.LayerVariation;
import org.shortrun.training.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun hierarchy}: what each layer of latents controls (the paper's Fig. 5). */
@Command(
        name = "hierarchy",
        mixinStandardHelpOptions = true,
        description =
                "For each latent layer, a PNG grid where only that layer varies along a row and"
                        + " every other layer is fixed per row; prints the files as JSON.")
final class HierarchyCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();

    @Option(
            names = "--rows",
            paramLabel = "N",
            description =
                    "Rows, each with its own fixed latents for the other layers (default: 8).")
    int rows = 8;

    @Option(
            names = "--columns",
            paramLabel = "N",
            description = "Draws of the varied layer, the same in every row (default: 8).")
    int columns = 8;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Directory for layer-<l>.png, l = 1 the top (default: hierarchy).")
    Path out = Path.of("hierarchy");

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        Options.positive("--rows", rows);
        Options.positive("--columns", columns);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new InputException("--out " + out + " is a file, not a directory");
        }
        Checkpoint cp = input.read();
        engine.start(false);
        Json.print(LayerVariation.writeGrids(cp, rows, columns, out, input.seed).toMap());
        return 0;
    }
}
