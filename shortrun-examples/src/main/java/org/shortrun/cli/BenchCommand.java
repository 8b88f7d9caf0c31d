package org.shortrun.cli;

import ai.djl.ndarray.NDManager;

import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.IterationStats;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingRun;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code shortrun bench}: times training iterations after warm-up, in the JSON form the peer
 * prints, plus resident memory at chosen iterations.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Time training iterations after warm-up; prints one JSON line.")
final class BenchCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model modelOptions = new Options.Model();
    @Mixin Options.Sampler sampler = new Options.Sampler();

    @Option(names = "--batch-size", paramLabel = "N", description = "Images per batch (default: 64).")
    int batchSize = 64;

    @Option(names = "--iterations", paramLabel = "N", description = "Timed iterations (default: 5).")
    int iterations = 5;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed iterations first (default: 2).")
    int warmup = 2;

    @Option(names = "--rss-at", split = ",", paramLabel = "I,I,..", description = "Iterations (counting warm-up) after which to record resident memory.")
    List<Long> rssAt = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "N", description = "Seed (default: 1).")
    long seed = 1;

    @Option(
            names = "--unfrozen-langevin",
            description = "Let autograd compute (and discard) parameter gradients during the K steps, to measure what freezing saves.")
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
                        .optStepSize(Options.positive("--step-size", Options.orElse(sampler.stepSize, 0.05f)))
                        .optSigma(Options.positive("--sigma", Options.orElse(sampler.sigma, 0.15f)))
                        .optLearningRate(LearningRateSchedule.CONSTANT, 8e-5)
                        .optSeed(seed)
                        .optCheckpointEvery(0)
                        .build();
        data.validate();
        int threadCount = engine.start(data.download);
        ImageDataset train = data.load(Split.TRAIN, model.getImageSize());
        EngineCheck.Report engineCheck = engine.check(model);
        List<Double> times = new ArrayList<>();
        Map<String, Double> rss = new LinkedHashMap<>();
        float[] lastMse = new float[1];
        long parameters;
        try (NDManager root = NDManager.newBaseManager();
                Learner learner = new Learner(model, training, root)) {
            parameters = learner.getGenerator().countParameters();
            if (unfrozen) {
                learner.setLangevin(
                        Langevin.builder().setSteps(training.getSteps()).setStepSize(training.getStepSize()).optFreezeParameters(false).build());
            }
            double[] previous = {0};
            TrainingRun.Listener timer =
                    new TrainingRun.Listener() {
                        @Override
                        public void onIteration(IterationStats stats) {
                            if (stats.iteration() > warmup) {
                                times.add(stats.seconds() - previous[0]);
                            }
                            previous[0] = stats.seconds();
                            lastMse[0] = stats.mse();
                            if (rssAt.contains(stats.iteration())) {
                                rss.put(Long.toString(stats.iteration()), residentMegabytes());
                            }
                        }
                    };
            TrainingRun.builder().setLearner(learner).setSource(train).optListener(timer).build().run(root);
        }
        List<Double> sorted = new ArrayList<>(times);
        Collections.sort(sorted);
        double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2) : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("impl", "shortrun-djl");
        line.put("djl", engineCheck.djl());
        line.put("engine", "PyTorch " + engineCheck.libtorch());
        line.put("cpu", engineCheck.cpu().model());
        line.put("avx512", engineCheck.cpu().hasAvx512());
        line.put("threads", threadCount);
        line.put("batch", batchSize);
        line.put("K", training.getSteps());
        line.put("zdims", model.getZDims());
        line.put("channels", model.getChannels());
        line.put("params", parameters);
        line.put("iterations", iterations);
        line.put("warmup", warmup);
        line.put("sec_per_iter_median", median);
        line.put("sec_per_iter_min", sorted.get(0));
        line.put("images_per_sec", batchSize / median);
        line.put("train_mse_last", lastMse[0]);
        line.put("langevin_parameters_frozen", !unfrozen);
        if (!rss.isEmpty()) {
            line.put("rss_mb", rss);
        }
        line.put("engine_check", engineCheck.toMap());
        Json.print(line);
        return 0;
    }

    /** Resident set size of this process in MB, from /proc (Linux); NaN elsewhere. */
    static double residentMegabytes() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(Arrays.stream(l.split("\\s+")).filter(s -> s.matches("\\d+")).findFirst().orElse("0")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
