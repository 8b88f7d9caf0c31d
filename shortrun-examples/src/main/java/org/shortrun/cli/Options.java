package org.shortrun.cli;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.inference.Langevin;
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
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Option groups shared by the subcommands. */
final class Options {

    private Options() {}

    /** Where the images come from: the settings of {@link Datasets}. */
    static final class Data {
        @Option(names = "--dataset", paramLabel = "NAME", description = "mnist, svhn or celeba.")
        Datasets.Name dataset = Datasets.Name.MNIST;

        @Option(
                names = "--data-dir",
                paramLabel = "DIR",
                description = "The dataset's files (MNIST's default: its test set in the jar).")
        Path dataDir;

        @Option(names = "--download", description = "MNIST without --data-dir: download it.")
        boolean download;

        @Option(names = "--svhn-extra", description = "SVHN: add extra_32x32.mat to training.")
        boolean svhnExtra;

        @Option(names = "--celeba-first", paramLabel = "N", description = "CelebA: first N only.")
        int celebaFirst;

        @Option(names = "--cache-dir", paramLabel = "DIR", description = "Decoded CelebA images.")
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

    /** The ladder generator's architecture; unset values are a resumed run's, else defaults. */
    static final class Model {
        @Option(names = "--z-dims", paramLabel = "D,D,..", description = "Latents, top first.")
        String zDims;

        @Option(names = "--channels", paramLabel = "N", converter = PositiveInt.class)
        Integer channels;

        @Option(names = "--sd-head", paramLabel = "HEAD", description = "released or softplus.")
        SdHead sdHead;

        @Option(names = "--image-size", paramLabel = "N", description = "32 or 64.")
        Integer imageSize;

        @Option(
                names = "--parameterisation",
                paramLabel = "NAME",
                description = "released, ladder.")
        Parameterisation parameterisation;

        @Option(names = "--no-skip", description = "No skip connections between the layers.")
        Boolean noSkip;

        LadderConfig build(LadderConfig base, int imageChannels) {
            LadderConfig.Builder b =
                    base != null
                            ? base.toBuilder()
                            : LadderConfig.builder()
                                    .setZDims(16, 32, 64)
                                    .optChannels(16)
                                    .optImageChannels(imageChannels);
            if (zDims != null) {
                b.setZDims(LadderConfig.parseZDims("--z-dims", zDims));
            }
            if (channels != null) {
                b.optChannels(channels);
            }
            if (sdHead != null) {
                b.optSdHead(sdHead);
            }
            if (imageSize != null) {
                b.optImageSize(imageSize);
            }
            if (parameterisation != null) {
                b.optParameterisation(parameterisation);
            }
            if (noSkip != null) {
                b.optSkipConnections(!noSkip);
            }
            return inputError(b::build);
        }
    }

    /**
     * A learning method and its options, by the options' JSON names ({@link Methods}), so that they
     * reach the library as they are.
     */
    static final class Method {
        @Option(
                names = "--method",
                paramLabel = "NAME",
                description = "shortrun, abp, lvae, vae, glo, lae, clae (docs/DESIGN.md#methods).")
        String name;

        @Option(
                names = "--steps",
                paramLabel = "K",
                converter = PositiveInt.class,
                description = "Langevin steps; glo: a held-out code's; lae, clae: W's updates.")
        Integer steps;

        @Option(
                names = "--step-size",
                paramLabel = "S",
                converter = PositiveFloat.class,
                description = "Langevin noise standard deviation s (the paper's step: s^2/2).")
        Float stepSize;

        @Option(
                names = "--eta",
                paramLabel = "E",
                converter = PositiveFloat.class,
                description = "lae, clae: W's step.")
        Float eta;

        @Option(names = "--kl-warmup", paramLabel = "N", description = "lvae, vae: KL warm-up.")
        Long klWarmup;

        @Option(
                names = "--code-lr",
                paramLabel = "R",
                converter = PositiveFloat.class,
                description = "glo.")
        Float codeLearningRate;

        @Option(names = "--metropolis", negatable = true, description = "lae, clae (default: on).")
        Boolean metropolis;

        @Option(names = "--prior-steps", paramLabel = "K", converter = PositiveInt.class)
        Integer priorSteps;

        @Option(names = "--prior-step-size", paramLabel = "S", converter = PositiveFloat.class)
        Float priorStepSize;

        @Option(names = "--prior-lr-scale", paramLabel = "F", converter = PositiveFloat.class)
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
        @Option(names = "--steps", paramLabel = "K", converter = PositiveInt.class)
        Integer steps;

        @Option(names = "--step-size", paramLabel = "S", converter = PositiveFloat.class)
        Float stepSize;

        @Option(names = "--sigma", paramLabel = "SIGMA", converter = PositiveFloat.class)
        Float sigma;

        /** The sampler replacing the model's, by {@link Langevin#overriding}; null if none. */
        Langevin langevin(Checkpoint cp) {
            if (steps == null && stepSize == null) {
                return null;
            }
            Langevin trained = cp.getLangevin();
            if (trained == null) {
                throw new InputException(
                        cp.getLearningConfig().getMethod().getName()
                                + " does not infer by Langevin dynamics; leave out --steps and"
                                + " --step-size");
            }
            return inputError(() -> trained.overriding(steps, stepSize));
        }

        /** The sampler inference from observed pixels takes: the checkpoint's or the default. */
        Langevin inpainting(Checkpoint cp) {
            Langevin trained = cp.getLangevin();
            Langevin base = trained != null ? trained : Langevin.builder().build();
            return inputError(() -> base.overriding(steps, stepSize));
        }

        float sigma(Checkpoint cp) {
            return sigma != null ? sigma : cp.getSigma();
        }
    }

    /** How a run re-optimises s by the variational objective; see {@link StepSizeTuning}. */
    static final class Tuning {
        @Option(
                names = "--step-size-every",
                paramLabel = "T",
                description = "Search before 0, T, 2T..")
        Long every;

        @Option(names = "--step-size-search", paramLabel = "NAME", description = "grid, gradient.")
        String search;

        @Option(names = "--step-size-per-step", description = "gradient: an s per step.")
        Boolean perStep;

        @Option(names = "--step-size-grid", paramLabel = "FROM:TO:STEP|S,..")
        String grid;

        @Option(
                names = "--step-size-select",
                paramLabel = "RULE",
                description = "lowest, admissible.")
        String select;

        @Option(names = "--step-size-log-det", paramLabel = "METHOD", description = "exact, fast.")
        String logDet;

        @Option(names = "--step-size-examples", paramLabel = "N", description = "Images (4).")
        Integer examples;

        @Option(names = "--step-size-chains", paramLabel = "N", description = "Chains per image.")
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
        @Option(names = "--iterations", paramLabel = "N", converter = PositiveLong.class)
        Long iterations;

        @Option(names = "--batch-size", paramLabel = "N", converter = PositiveInt.class)
        Integer batchSize;

        @Option(names = "--sigma", paramLabel = "SIGMA", converter = PositiveFloat.class)
        Float sigma;

        @Option(names = "--lr", paramLabel = "RATE", converter = PositiveDouble.class)
        Double learningRate;

        @Option(
                names = "--lr-schedule",
                paramLabel = "NAME",
                description = "released, paper, constant.")
        LearningRateSchedule lrSchedule;

        @Option(
                names = "--seed",
                paramLabel = "N",
                description = "Seed of every draw (default: 1).")
        Long seed;
    }

    /** The engine: threads, device, the offline switch and the gradient check. */
    static final class Engine {
        @Option(
                names = "--threads",
                paramLabel = "N",
                description = "Intra-op threads (all cores).")
        int threads;

        @Option(
                names = "--device",
                paramLabel = "NAME",
                description = "cpu, gpu, gpu1.. (default: the engine's).")
        String device;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec command;

        private int started;

        /** Starts the engine with the offline switch and the thread count, which it returns. */
        int start(boolean allowDownload) {
            if (threads < 0) {
                throw new InputException("--threads must be 0 (all cores) or more, got " + threads);
            }
            System.setProperty("ai.djl.offline", Boolean.toString(!allowDownload));
            started = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(started));
            ai.djl.engine.Engine.getEngine("PyTorch");
            return started;
        }

        /** The device every array goes to: the one named, else the engine's default. */
        Device device() {
            ai.djl.engine.Engine engine = ai.djl.engine.Engine.getEngine("PyTorch");
            if (device == null) {
                return engine.defaultDevice();
            }
            Device named;
            try {
                named = Device.fromName(device, engine);
            } catch (RuntimeException e) {
                throw new InputException("--device " + device + " is not a device name", e);
            }
            if (named.isGpu() && named.getDeviceId() >= engine.getGpuCount()) {
                throw new InputException("--device " + device + ": this machine has no such GPU");
            }
            return named;
        }

        /** A manager on the chosen device. */
        NDManager manager() {
            try {
                return NDManager.newBaseManager(device());
            } catch (EngineException e) {
                throw new InputException("--device " + device + ": " + e.getMessage(), e);
            }
        }

        /** The gradient check at the generator's shapes; refuses a wrong engine (exit 2). */
        EngineCheck.Report check(LatentGenerator generator) {
            try (NDManager manager = manager()) {
                EngineCheck.Report report = EngineCheck.require(generator, manager);
                System.err.println("shortrun: " + report.describe());
                return report;
            }
        }

        EngineCheck.Report check(LadderConfig model) {
            return check(new org.shortrun.model.LadderGenerator(model));
        }

        /** What a run records of how it was started, for config.json. */
        Map<String, Object> record(EngineCheck.Report check) {
            List<String> args = new ArrayList<>(List.of("shortrun"));
            if (command != null && command.root().commandLine().getParseResult() != null) {
                args.addAll(command.root().commandLine().getParseResult().originalArgs());
            }
            return check.runRecord(ShortrunCommand.VERSION, args, started);
        }
    }

    /** A checkpoint to read, and the seed of the draws made from it. */
    static final class CheckpointInput {
        @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "A run.")
        Path checkpoint;

        @Option(names = "--seed", paramLabel = "N", description = "Seed (default: 1).")
        int seed = 1;

        Checkpoint read() {
            return Checkpoint.read(checkpoint);
        }
    }

    /** How many test images an evaluation measures, and in what batches. */
    static final class TestImages {
        @Option(names = "--count", paramLabel = "N", converter = PositiveInt.class)
        int count = 1000;

        @Option(names = "--batch-size", paramLabel = "N", converter = PositiveInt.class)
        int batchSize = 100;
    }

    /** A checkpoint's test images, the engine started and checked at its generator's shapes. */
    static ImageDataset testImages(Checkpoint cp, Data data, Engine engine) {
        return images(cp, data, engine, Split.TEST);
    }

    /** A split's images for a checkpoint, the engine started and checked at its shapes. */
    static ImageDataset images(Checkpoint cp, Data data, Engine engine, Split split) {
        Datasets source = data.source();
        LadderConfig model = cp.getModelConfig();
        if (model == null) {
            throw new InputException(
                    "checkpoint "
                            + cp.getDirectory()
                            + " holds a generator of the user's own, which only the library can"
                            + " load");
        }
        source.checkModel(new org.shortrun.model.LadderGenerator(model).getImageShape());
        engine.start(data.download);
        ImageDataset test = source.load(split, model.getImageSize());
        if (test.imageCount() == 0) {
            throw new InputException(
                    source.describe()
                            + " has no "
                            + split.name().toLowerCase(java.util.Locale.ROOT)
                            + " images");
        }
        engine.check(model);
        return test;
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

    /** A number that must be positive, refused by picocli with the option's name. */
    abstract static class Positive<T extends Number> implements ITypeConverter<T> {
        abstract T parse(String value);

        @Override
        public T convert(String value) {
            T v;
            try {
                v = parse(value);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number");
            }
            if (!(v.doubleValue() > 0) || Double.isInfinite(v.doubleValue())) {
                throw new TypeConversionException("must be positive, got " + value);
            }
            return v;
        }
    }

    static final class PositiveInt extends Positive<Integer> {
        @Override
        Integer parse(String value) {
            return Integer.valueOf(value);
        }
    }

    static final class PositiveLong extends Positive<Long> {
        @Override
        Long parse(String value) {
            return Long.valueOf(value);
        }
    }

    static final class PositiveFloat extends Positive<Float> {
        @Override
        Float parse(String value) {
            return Float.valueOf(value);
        }
    }

    static final class PositiveDouble extends Positive<Double> {
        @Override
        Double parse(String value) {
            return Double.valueOf(value);
        }
    }
}
