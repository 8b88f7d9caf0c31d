package org.shortrun.training;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shortrun.ImageSource;
import org.shortrun.engine.EngineCheck;
import org.shortrun.inference.Langevin;
import org.shortrun.method.LangevinLearning;
import org.shortrun.model.LadderConfig;

/**
 * Times training iterations after a warm-up, and samples the process's resident memory at chosen
 * iterations: the figures a comparison with another implementation needs.
 *
 * <p>The warm-up iterations are run but not timed, since the first iterations pay for the engine's
 * lazy initialization and memory pools.
 */
public final class Benchmark {

    private final LadderConfig model;
    private final LearningConfig config;
    private final ImageSource source;
    private final int warmup;
    private final List<Long> residentAt;
    private final boolean freezeParameters;
    private final Device device;

    private Benchmark(Builder builder) {
        model = builder.model;
        config = builder.config;
        source = builder.source;
        warmup = builder.warmup;
        residentAt = List.copyOf(builder.residentAt);
        freezeParameters = builder.freezeParameters;
        device = builder.device;
    }

    /**
     * Creates a builder.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains a new generator for the configured iterations, warm-up included, timing each one after
     * the warm-up.
     *
     * @return the timings and what else was measured
     * @throws IOException if the training run fails to read or write
     */
    public Result run() throws IOException {
        List<Double> times = new ArrayList<>();
        Map<String, Double> resident = new LinkedHashMap<>();
        float[] lastMse = new float[1];
        long parameters;
        // IterationStats.seconds() counts from the run's start; an iteration's time is the
        // difference
        double[] previous = {0};
        TrainingJob.Listener timer =
                new TrainingJob.Listener() {
                    @Override
                    public void onIteration(IterationStats stats) {
                        if (stats.iteration() > warmup) {
                            times.add(stats.seconds() - previous[0]);
                        }
                        previous[0] = stats.seconds();
                        lastMse[0] = stats.mse();
                        if (residentAt.contains(stats.iteration())) {
                            resident.put(Long.toString(stats.iteration()), residentMegabytes());
                        }
                    }
                };
        try (TrainingJob job =
                TrainingJob.builder()
                        .setModel(model)
                        .setLearning(config)
                        .setTrainImages(source)
                        .addListener(timer)
                        .optDevice(device)
                        .build()) {
            Learner learner = job.getLearner();
            parameters = learner.getGenerator().countParameters();
            Langevin langevin = learner.getLangevin();
            if (!freezeParameters && langevin != null) {
                learner.getMethodState()
                        .setLangevin(
                                Langevin.builder()
                                        .setSteps(langevin.getSteps())
                                        .optStepSizes(langevin.getStepSizes())
                                        .optFreezeParameters(false)
                                        .build());
            }
            job.train();
        }
        return new Result(
                model,
                config,
                warmup,
                freezeParameters,
                List.copyOf(times),
                lastMse[0],
                parameters,
                resident);
    }

    /**
     * The resident set size of this process in MB, from /proc (Linux).
     *
     * @return the size, or NaN where /proc/self/status cannot be read
     */
    public static double residentMegabytes() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(
                                    Arrays.stream(l.split("\\s+"))
                                            .filter(s -> s.matches("\\d+"))
                                            .findFirst()
                                            .orElse("0"))
                            / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /**
     * What a benchmark measured.
     *
     * @param model the generator's configuration
     * @param config the training configuration; its iterations include the warm-up
     * @param warmup the untimed iterations first
     * @param parametersFrozen whether Langevin's steps left the parameters out of autograd
     * @param seconds the time of each timed iteration, in order
     * @param lastMse the training error of the last iteration
     * @param parameters the generator's parameter count
     * @param residentMegabytes resident memory in MB after each asked-for iteration, keyed by it
     */
    public record Result(
            LadderConfig model,
            LearningConfig config,
            int warmup,
            boolean parametersFrozen,
            List<Double> seconds,
            float lastMse,
            long parameters,
            Map<String, Double> residentMegabytes) {

        /**
         * The median time of a timed iteration (the mean of the middle two for an even count).
         *
         * @return seconds
         */
        public double medianSeconds() {
            List<Double> sorted = new ArrayList<>(seconds);
            Collections.sort(sorted);
            int n = sorted.size();
            return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        }

        /**
         * The fastest timed iteration.
         *
         * @return seconds
         */
        public double minSeconds() {
            return Collections.min(seconds);
        }

        /**
         * The JSON line {@code shortrun bench} prints, in its key order; the keys are the ones the
         * comparison scripts read, shared with the peer implementation's benchmark.
         *
         * @param engine the engine check run before the benchmark, which names the CPU and versions
         * @param threads the engine's intra-op thread count
         * @return the line's keys and values
         */
        public Map<String, Object> toMap(EngineCheck.Report engine, int threads) {
            double median = medianSeconds();
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("impl", "shortrun-djl");
            line.put("djl", engine.djl());
            line.put("engine", "PyTorch " + engine.libtorch());
            line.put("cpu", engine.cpu().model());
            line.put("avx512", engine.cpu().hasAvx512());
            line.put("threads", threads);
            line.put("batch", config.getBatchSize());
            line.put(
                    "K",
                    config.getMethod() instanceof LangevinLearning langevin
                            ? langevin.getSteps()
                            : null);
            line.put("zdims", model.getZDims());
            line.put("channels", model.getChannels());
            line.put("params", parameters);
            line.put("iterations", config.getIterations() - warmup);
            line.put("warmup", warmup);
            line.put("sec_per_iter_median", median);
            line.put("sec_per_iter_min", minSeconds());
            line.put("images_per_sec", config.getBatchSize() / median);
            line.put("train_mse_last", lastMse);
            line.put("langevin_parameters_frozen", parametersFrozen);
            if (!residentMegabytes.isEmpty()) {
                line.put("rss_mb", residentMegabytes);
            }
            line.put("engine_check", engine.toMap());
            return line;
        }
    }

    /** Builds a {@link Benchmark}. */
    public static final class Builder {

        private LadderConfig model;
        private LearningConfig config;
        private ImageSource source;
        private int warmup = 2;
        private List<Long> residentAt = List.of();
        private boolean freezeParameters = true;
        private Device device;

        private Builder() {}

        /**
         * Sets the device the run's parameters and arrays go to (default: the engine's default).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Sets the generator to train.
         *
         * @param model its configuration
         * @return this builder
         */
        public Builder setModel(LadderConfig model) {
            this.model = model;
            return this;
        }

        /**
         * Sets how to train; its iteration count is the warm-up plus the timed iterations.
         *
         * @param config the training configuration
         * @return this builder
         */
        public Builder setLearningConfig(LearningConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Sets the training images.
         *
         * @param source the images
         * @return this builder
         */
        public Builder setSource(ImageSource source) {
            this.source = source;
            return this;
        }

        /**
         * Sets how many iterations run untimed first (default 2).
         *
         * @param warmup 0 or more, fewer than the configuration's iterations
         * @return this builder
         */
        public Builder optWarmup(int warmup) {
            this.warmup = warmup;
            return this;
        }

        /**
         * Sets the iterations, counting the warm-up from 1, after which resident memory is recorded
         * (default none).
         *
         * @param iterations the iterations
         * @return this builder
         */
        public Builder optResidentMemoryAt(List<Long> iterations) {
            this.residentAt = List.copyOf(iterations);
            return this;
        }

        /**
         * Sets whether Langevin's steps leave the parameters out of autograd (default true); false
         * lets autograd compute and discard their gradients, to measure what freezing saves.
         *
         * @param freeze whether to freeze
         * @return this builder
         */
        public Builder optFreezeParameters(boolean freeze) {
            this.freezeParameters = freeze;
            return this;
        }

        /**
         * Builds the benchmark.
         *
         * @return the benchmark
         * @throws IllegalArgumentException if the model, configuration or source is missing, or the
         *     warm-up leaves no iteration to time
         */
        public Benchmark build() {
            if (model == null || config == null || source == null) {
                throw new IllegalArgumentException(
                        "a benchmark needs a model, a learning configuration and a source");
            }
            if (warmup < 0 || warmup >= config.getIterations()) {
                throw new IllegalArgumentException(
                        "the warm-up must be 0 or more and leave an iteration to time, got "
                                + warmup
                                + " of "
                                + config.getIterations());
            }
            return new Benchmark(this);
        }
    }
}
