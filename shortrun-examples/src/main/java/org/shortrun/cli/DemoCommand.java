package org.shortrun.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.data.Split;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun demo}: a small model on the embedded MNIST test set, a few minutes on two cores,
 * with the test reconstruction error before and after.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Train a small model on the embedded MNIST (9,000 images; 1,000 held out) and"
                        + " report the test reconstruction MSE before and after.")
final class DemoCommand implements Callable<Integer> {

    static final int ITERATIONS = 300;
    static final int EVAL_IMAGES = 500;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Output directory (default: runs/demo).")
    Path out = Path.of("runs", "demo");

    @Option(
            names = "--iterations",
            paramLabel = "N",
            description = "Iterations (default: " + ITERATIONS + ").")
    int iterations = ITERATIONS;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        Options.positive("--iterations", iterations);
        TrainJob.checkOutput(out, null);
        LadderConfig model =
                LadderConfig.builder()
                        .setZDims(16, 32, 64)
                        .optChannels(16)
                        .optImageChannels(1)
                        .optImageSize(32)
                        .build();
        Options.Data embedded = new Options.Data();
        LearningConfig training =
                LearningConfig.builder()
                        .setIterations(iterations)
                        .optBatchSize(64)
                        .optSteps(25)
                        .optStepSize(0.05f)
                        .optSigma(0.15f)
                        .optLearningRate(LearningRateSchedule.CONSTANT, 5e-4)
                        .optCheckpointEvery(200)
                        .optData(embedded.identity())
                        .build();
        engine.start(false);
        new TrainJob(
                        model,
                        training,
                        embedded.load(Split.TRAIN, 32),
                        embedded.load(Split.TEST, 32),
                        out,
                        null,
                        embedded.describe() + " (9,000 train / 1,000 held out)",
                        EVAL_IMAGES,
                        engine)
                .run(true);
        return 0;
    }
}
