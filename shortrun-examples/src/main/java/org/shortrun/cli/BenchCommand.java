package org.shortrun.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.shortrun.data.Datasets;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.method.LearningMethod;
import org.shortrun.method.Methods;
import org.shortrun.method.ShortRun;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Benchmark;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun bench}: seconds per training iteration, for comparison with the peer. */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true)
final class BenchCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model model = new Options.Model();
    @Mixin Options.Sampler sampler = new Options.Sampler();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--batch-size", paramLabel = "N")
    int batchSize = 64;

    @Option(names = "--iterations", paramLabel = "N")
    int iterations = 5;

    @Option(names = "--warmup", paramLabel = "N")
    int warmup = 2;

    @Option(names = "--rss-at", split = ",", paramLabel = "I,..")
    List<Long> rssAt = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "N")
    long seed = 1;

    @Option(names = "--unfrozen-langevin")
    boolean unfrozen;

    @Override
    public Integer call() throws Exception {
        LadderConfig architecture = model.build(null, data.dataset.channels());
        LearningMethod method =
                Methods.withOptions(
                        ShortRun.builder().build(), Options.json(sampler, Set.of("sigma")));
        LearningConfig training =
                Options.inputError(
                        () ->
                                LearningConfig.builder()
                                        .setIterations(warmup + iterations)
                                        .optBatchSize(batchSize)
                                        .optMethod(method)
                                        .optSigma(sampler.sigma != null ? sampler.sigma : 0.15f)
                                        .optLearningRate(LearningRateSchedule.CONSTANT, 8e-5)
                                        .optSeed(seed)
                                        .optCheckpointEvery(0)
                                        .build());
        Datasets source = data.source();
        int threads = engine.start(data.download);
        EngineCheck.Report check = engine.check(new LadderGenerator(architecture));
        Benchmark benchmark =
                Options.inputError(
                        Benchmark.builder()
                                        .setModel(architecture)
                                        .setLearningConfig(training)
                                        .setSource(
                                                source.load(
                                                        Split.TRAIN, architecture.getImageSize()))
                                        .optWarmup(warmup)
                                        .optResidentMemoryAt(rssAt)
                                        .optFreezeParameters(!unfrozen)
                                        .optDevice(engine.device())
                                ::build);
        Json.print(benchmark.run().toMap(check, threads));
        return 0;
    }
}
