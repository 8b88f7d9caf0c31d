package org.shortrun.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Benchmark;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun bench}: times training iterations after warm-up, in the JSON form the peer
 * prints, plus resident memory at chosen iterations.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Time training iterations after warm-up; prints one JSON line.")
final class BenchCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model modelOptions = new Options.Model();
    @Mixin Options.Sampler sampler = new Options.Sampler();

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Images per batch (default: 64).")
    int batchSize = 64;

    @Option(
            names = "--iterations",
            paramLabel = "N",
            description = "Timed iterations (default: 5).")
    int iterations = 5;

    @Option(
            names = "--warmup",
            paramLabel = "N",
            description = "Untimed iterations first (default: 2).")
    int warmup = 2;

    @Option(
            names = "--rss-at",
            split = ",",
            paramLabel = "I,I,..",
            description = "Iterations (counting warm-up) after which to record resident memory.")
    List<Long> rssAt = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "N", description = "Seed (default: 1).")
    long seed = 1;

    @Option(
            names = "--unfrozen-langevin",
            description =
                    "Let autograd compute (and discard) parameter gradients during the K steps, to"
                            + " measure what freezing saves.")
    boolean unfrozen;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        Options.positive("--batch-size", batchSize);
        Options.positive("--iterations", iterations);
        if (warmup < 0) {
            throw new org.shortrun.InputException("--warmup must be 0 or more, got " + warmup);
        }
        LadderConfig model = modelOptions.build(null, data.imageChannels(), 32);
        LearningConfig training =
                LearningConfig.builder()
                        .setIterations(warmup + iterations)
                        .optBatchSize(batchSize)
                        .optSteps(Options.positive("--steps", Options.orElse(sampler.steps, 25)))
                        .optStepSize(
                                Options.positive(
                                        "--step-size", Options.orElse(sampler.stepSize, 0.05f)))
                        .optSigma(Options.positive("--sigma", Options.orElse(sampler.sigma, 0.15f)))
                        .optLearningRate(LearningRateSchedule.CONSTANT, 8e-5)
                        .optSeed(seed)
                        .optCheckpointEvery(0)
                        .build();
        data.validate();
        int threadCount = engine.start(data.download);
        ImageDataset train = data.load(Split.TRAIN, model.getImageSize());
        EngineCheck.Report engineCheck = engine.check(model);
        Benchmark.Result result =
                Benchmark.builder()
                        .setModel(model)
                        .setLearningConfig(training)
                        .setSource(train)
                        .optWarmup(warmup)
                        .optResidentMemoryAt(rssAt)
                        .optFreezeParameters(!unfrozen)
                        .build()
                        .run();
        Json.print(result.toMap(engineCheck, threadCount));
        return 0;
    }
}
