package org.shortrun.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.engine.Engines;
import org.shortrun.method.Methods;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Parameterisation;
import org.shortrun.model.SdHead;
import org.shortrun.stepsize.StepSizeTuning;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Option groups shared by the subcommands. */
final class Options {

    private Options() {}

    /** Where the images come from: the settings of {@link Datasets}. */
    static final class Data {
        @Option(names = "--dataset", paramLabel = "NAME")
        Datasets.Name dataset = Datasets.Name.MNIST;

        @Option(names = "--data-dir", paramLabel = "DIR")
        Path dataDir;

        @Option(names = "--download")
        boolean download;

        @Option(names = "--svhn-extra")
        boolean svhnExtra;

        @Option(names = "--celeba-first", paramLabel = "N")
        int celebaFirst;

        @Option(names = "--cache-dir", paramLabel = "DIR")
        Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "shortrun");

        Datasets.Builder settings() {
            return Datasets.builder()
                    .setName(dataset)
                    .optDirectory(dataDir)
                    .optDownload(download)
                    .optSvhnExtra(svhnExtra)
                    .optCelebaFirst(celebaFirst)
                    .optCacheDirectory(cacheDir)
                    .optProgress(new ProgressBar(System.err, "img").asProgress());
        }

        Datasets source() {
            return settings().build();
        }
    }

    /** The ladder generator's architecture, by the JSON names of {@link LadderConfig}. */
    static final class Model {
        @Option(names = "--z-dims", paramLabel = "D,D,..", split = ",")
        int[] zDims;

        @Option(names = "--channels", paramLabel = "N")
        Integer channels;

        @Option(names = "--sd-head", paramLabel = "HEAD")
        SdHead sdHead;

        @Option(names = "--image-size", paramLabel = "N")
        Integer imageSize;

        @Option(names = "--parameterisation", paramLabel = "NAME")
        Parameterisation parameterisation;

        @Option(names = "--skip", negatable = true)
        Boolean skipConnections;

        /**
         * The architecture: a resumed run's, or z-dims 16,32,64 and 16 channels, these laid over.
         */
        LadderConfig build(LadderConfig base, int imageChannels) {
            LadderConfig start =
                    base != null
                            ? base
                            : LadderConfig.builder()
                                    .setZDims(16, 32, 64)
                                    .optChannels(16)
                                    .optImageChannels(imageChannels)
                                    .build();
            return start.with(json(this, Set.of()));
        }
    }

    /**
     * A learning method and its options, by the options' JSON names ({@link Methods}), so that they
     * reach the library as they are.
     */
    static final class Method {
        @Option(names = "--method", paramLabel = "NAME")
        String name;

        @Option(names = "--steps", paramLabel = "K")
        Integer steps;

        @Option(names = "--step-size", paramLabel = "S")
        Float stepSize;

        @Option(names = "--eta", paramLabel = "E")
        Float eta;

        @Option(names = "--kl-warmup", paramLabel = "N")
        Long klWarmup;

        @Option(names = "--code-lr", paramLabel = "R")
        Float codeLearningRate;

        @Option(names = "--metropolis", negatable = true)
        Boolean metropolis;

        @Option(names = "--prior-steps", paramLabel = "K")
        Integer priorSteps;

        @Option(names = "--prior-step-size", paramLabel = "S")
        Float priorStepSize;

        @Option(names = "--prior-lr-scale", paramLabel = "F")
        Float priorLearningRateScale;

        /** The method's options given, its name among them when given. */
        JsonObject json() {
            JsonObject json = Options.json(this, Set.of("name"));
            if (name != null) {
                json.addProperty("name", name);
            }
            return json;
        }
    }

    /** The Langevin sampler and sigma an evaluation of a checkpoint infers with. */
    static final class Sampler {
        @Option(names = "--steps", paramLabel = "K")
        Integer steps;

        @Option(names = "--step-size", paramLabel = "S")
        Float stepSize;

        @Option(names = "--sigma", paramLabel = "SIGMA")
        Float sigma;

        float sigma(Checkpoint cp) {
            return sigma != null ? sigma : cp.getSigma();
        }
    }

    /** How a run re-optimises s by the variational objective; see {@link StepSizeTuning}. */
    static final class Tuning {
        @Option(names = "--step-size-every", paramLabel = "T")
        Long every;

        @Option(names = "--step-size-search", paramLabel = "NAME")
        String search;

        @Option(names = "--step-size-per-step")
        Boolean perStep;

        @Option(names = "--step-size-grid", paramLabel = "FROM:TO:STEP|S,..")
        String grid;

        @Option(names = "--step-size-select", paramLabel = "RULE")
        String select;

        @Option(names = "--step-size-log-det", paramLabel = "METHOD")
        String logDet;

        @Option(names = "--step-size-examples", paramLabel = "N")
        Integer examples;

        @Option(names = "--step-size-chains", paramLabel = "N")
        Integer chains;

        @Option(names = "--step-size-gradient-iterations", paramLabel = "N")
        Integer gradientIterations;

        @Option(names = "--step-size-gradient-rate", paramLabel = "R")
        Double gradientRate;

        StepSizeTuning over(StepSizeTuning base) {
            return StepSizeTuning.overriding(
                    base,
                    every,
                    search,
                    perStep,
                    grid,
                    examples,
                    chains,
                    gradientIterations,
                    gradientRate,
                    select,
                    logDet);
        }
    }

    /** The shared training settings, by their JSON names in {@link LearningConfig}. */
    static final class Settings {
        @Option(names = "--iterations", paramLabel = "N")
        Long iterations;

        @Option(names = "--batch-size", paramLabel = "N")
        Integer batchSize;

        @Option(names = "--sigma", paramLabel = "SIGMA")
        Float sigma;

        @Option(names = "--lr", paramLabel = "RATE")
        Double learningRate;

        @Option(names = "--lr-schedule", paramLabel = "NAME")
        LearningRateSchedule lrSchedule;

        @Option(names = "--seed", paramLabel = "N")
        Long seed;
    }

    /** The engine: threads, device, the offline switch and the gradient check. */
    static final class Engine {
        @Option(names = "--threads", paramLabel = "N")
        int threads;

        @Option(names = "--device", paramLabel = "NAME")
        String device;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec command;

        private int started;

        int start(boolean allowDownload) {
            started = Engines.start(threads, !allowDownload);
            return started;
        }

        Device device() {
            return Engines.device(device);
        }

        /** The gradient check at the generator's shapes; refuses a wrong engine (exit 2). */
        EngineCheck.Report check(LatentGenerator generator) {
            try (NDManager manager = NDManager.newBaseManager(device())) {
                EngineCheck.Report report = EngineCheck.require(generator, manager);
                passed(report);
                return report;
            }
        }

        /** Says on standard error that the check passed. */
        void passed(EngineCheck.Report report) {
            System.err.println("shortrun: " + report.describe());
        }

        /** What a run records of how it was started, for config.json. */
        Map<String, Object> record(String data) {
            List<String> args = new ArrayList<>(List.of("shortrun"));
            args.addAll(command.root().commandLine().getParseResult().originalArgs());
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("data", data);
            record.put("versions", Map.of("shortrun", ShortrunCommand.VERSION));
            record.put("command_line", args);
            record.put("threads", started);
            return record;
        }
    }

    /** A checkpoint to read, and the seed of the draws made from it. */
    static final class CheckpointInput {
        @Option(names = "--checkpoint", required = true, paramLabel = "DIR")
        Path checkpoint;

        @Option(names = "--seed", paramLabel = "N")
        int seed = 1;

        Checkpoint read() {
            return Checkpoint.read(checkpoint);
        }
    }

    /** How many test images an evaluation measures, and in what batches. */
    static final class TestImages {
        @Option(names = "--count", paramLabel = "N")
        int count = 1000;

        @Option(names = "--batch-size", paramLabel = "N")
        int batchSize = 100;
    }

    /** A checkpoint's images of a split; the engine started and checked at its shapes. */
    static ImageDataset images(Checkpoint cp, Data data, Engine engine, Split split) {
        ImageDataset images = data.source().load(split, cp.getImageShape());
        engine.start(data.download);
        engine.check(cp.newGenerator());
        return images;
    }

    /** The options of a mixin that were given, by their fields' names, which are JSON names. */
    static JsonObject json(Object mixin, Set<String> skipped) {
        JsonObject json = new JsonObject();
        for (Field f : mixin.getClass().getDeclaredFields()) {
            Object value;
            try {
                value = f.get(mixin);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            if (value == null
                    || skipped.contains(f.getName())
                    || f.getAnnotation(Option.class) == null) {
                continue;
            }
            json.add(f.getName(), Json.tree(value instanceof Enum<?> e ? e.name() : value));
        }
        return json;
    }

    /** Turns a library's refusal of a value into the command's: one line, exit 2. */
    static <T> T inputError(java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
    }
}
