package org.shortrun.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun demo}: the small MNIST run of the README, a {@code train} of fixed settings. */
@Command(name = "demo", mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", paramLabel = "DIR")
    Path out = Path.of("runs", "demo");

    @Option(names = "--iterations", paramLabel = "N")
    long iterations = 300;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        TrainCommand train = new TrainCommand();
        new CommandLine(train)
                .parseArgs(
                        "--iterations=" + iterations,
                        "--batch-size=64",
                        "--lr-schedule=CONSTANT",
                        "--lr=5e-4",
                        "--checkpoint-every=200",
                        "--eval-at-start",
                        "--out=" + out);
        train.engine = engine;
        return train.call();
    }
}
