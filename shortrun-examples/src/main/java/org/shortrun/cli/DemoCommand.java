package org.shortrun.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.data.Datasets;
import org.shortrun.data.Split;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun demo}: the small MNIST run of the README. */
@Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true)
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", paramLabel = "DIR")
    Path out = Path.of("runs", "demo");

    @Option(names = "--iterations", paramLabel = "N", converter = Options.PositiveLong.class)
    long iterations = 300;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        Datasets embedded = new Options.Data().source();
        LadderConfig model =
                LadderConfig.builder()
                        .setZDims(16, 32, 64)
                        .optChannels(16)
                        .optImageChannels(1)
                        .build();
        LearningConfig training =
                LearningConfig.builder()
                        .setIterations(iterations)
                        .optBatchSize(64)
                        .optLearningRate(LearningRateSchedule.CONSTANT, 5e-4)
                        .optCheckpointEvery(200)
                        .optData(embedded.identity())
                        .build();
        engine.start(false);
        TrainCommand.Run run =
                new TrainCommand.Run(
                        model,
                        training,
                        null,
                        embedded.load(Split.TRAIN, 32),
                        embedded.load(Split.TEST, 32),
                        embedded.describe() + " (9,000 train / 1,000 held out)");
        TrainCommand.run(run, out, 500, true, engine);
        return 0;
    }
}
