package org.shortrun.cli;

import ai.djl.ndarray.NDManager;

import org.shortrun.InputException;
import org.shortrun.engine.EngineCheck;
import org.shortrun.stepsize.StepSizeSearch;
import org.shortrun.data.CelebaImages;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.data.Split;
import org.shortrun.data.SvhnImages;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.SdHead;
import org.shortrun.training.Checkpoint;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Option groups shared by the subcommands, and the checks that turn them into settings. */
final class Options {

    private Options() {}

    /** The datasets the command reads. */
    enum DatasetName {
        MNIST(1),
        SVHN(3),
        CELEBA(3);

        final int channels;

        DatasetName(int channels) {
            this.channels = channels;
        }
    }

    /** Where the images come from. */
    static final class Data {
        @Option(names = "--dataset", paramLabel = "NAME", description = "mnist, svhn or celeba (default: mnist).")
        DatasetName dataset = DatasetName.MNIST;

        @Option(
                names = "--data-dir",
                paramLabel = "DIR",
                description = "Directory with the dataset's files. MNIST's default: its test set embedded in the jar.")
        Path dataDir;

        @Option(names = "--download", description = "Download MNIST through DJL when no --data-dir is given (needs the network).")
        boolean download;

        @Option(names = "--svhn-extra", description = "SVHN: add extra_32x32.mat to the training split.")
        boolean svhnExtra;

        @Option(names = "--celeba-first", paramLabel = "N", description = "CelebA: train on the first N images in file order (the released script: 40000).")
        int celebaFirst;

        @Option(names = "--cache-dir", paramLabel = "DIR", description = "CelebA: where decoded images are cached (default: ~/.cache/shortrun).")
        Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "shortrun");

        /**
         * Loads a split. Without a directory, MNIST's embedded test set stands in for both
         * splits: its first 9,000 images for training and its last 1,000 for testing.
         */
        ImageDataset load(Split split, int imageSize) {
            validate();
            switch (dataset) {
                case SVHN:
                    return SvhnImages.fromDirectory(dataDir, split, svhnExtra, imageSize);
                case CELEBA:
                    // CelebaImages itself warns about skipped images
                    return CelebaImages.load(dataDir, split, imageSize, split == Split.TRAIN ? celebaFirst : 0, cacheDir, new ProgressBar(System.err, "img").asProgress()).dataset();
                default:
                    break;
            }
            if (dataDir != null) {
                return MnistImages.fromDirectory(dataDir, split, imageSize);
            }
            if (download) {
                try {
                    return MnistImages.download(split, imageSize);
                } catch (IOException e) {
                    throw new InputException("MNIST download failed: " + e.getMessage(), e);
                }
            }
            ImageDataset all = MnistImages.embedded(imageSize);
            return split.requireTrainOrTest("MNIST") == Split.TRAIN ? all.slice(0, 9_000) : all.slice(9_000, MnistImages.EMBEDDED_COUNT);
        }

        /** Checks what can be checked before anything is read or the engine starts. */
        void validate() {
            if (celebaFirst < 0) {
                throw new InputException("--celeba-first must be 0 (all) or more, got " + celebaFirst);
            }
            if (dataset != DatasetName.MNIST && dataDir == null) {
                throw new InputException("--dataset " + name() + " needs --data-dir (there is no embedded copy or download)");
            }
        }

        int imageChannels() {
            return dataset.channels;
        }

        /**
         * Refuses a model that does not generate images of this dataset's kind: other channels,
         * or another size than the one it is evaluated at (32 for MNIST and SVHN, as in the
         * paper; 32 or 64 for CelebA).
         */
        void checkModel(LadderConfig model) {
            TrainCommand.checkChannels(model, this);
            checkImageSize(model.getImageSize(), "the checkpoint generates");
        }

        /** Refuses images of a side this dataset is not evaluated at; {@code what} starts the message. */
        void checkImageSize(int side, String what) {
            boolean ok = dataset == DatasetName.CELEBA ? side == 32 || side == 64 : side == 32;
            if (!ok) {
                throw new InputException(
                        what + " " + side + "x" + side + " images but " + name() + " is evaluated at 32x32"
                                + (dataset == DatasetName.CELEBA ? " or 64x64" : " (only celeba has a 64x64 setting)"));
            }
        }

        String name() {
            return dataset.name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * Identifies a split's images for caches: dataset, source, split, the options that
         * choose images, and the side they are served at.
         */
        String cacheKey(Split split, int side) {
            String source = dataDir != null ? dataDir.toAbsolutePath().normalize().toString() : download ? "download" : "embedded";
            return "dataset=" + name() + ";source=" + source + ";split=" + split.name().toLowerCase(java.util.Locale.ROOT) + ";extra=" + svhnExtra
                    + ";first=" + (split == Split.TRAIN ? celebaFirst : 0) + ";size=" + side;
        }

        String describe() {
            return dataDir != null ? name() + " from " + dataDir : download ? "mnist (downloaded)" : "embedded MNIST test set";
        }
    }

    /** The architecture; unset values come from a checkpoint being resumed, else defaults. */
    static final class Model {
        @Option(names = "--z-dims", paramLabel = "D,D,..", description = "Latent dimensions per layer, top first (default: 16,32,64).")
        String zDims;

        @Option(names = "--channels", paramLabel = "N", description = "Channel width n_f (default: 16).")
        Integer channels;

        @Option(names = "--sd-head", paramLabel = "HEAD", description = "Standard-deviation head: released or softplus (default: released).")
        SdHead sdHead;

        @Option(names = "--image-size", paramLabel = "N", description = "Image side the model generates: 32 or 64 (default: 32; MNIST's 28 is resized).")
        Integer imageSize;

        LadderConfig build(LadderConfig base, int imageChannels, int defaultImageSize) {
            LadderConfig.Builder b =
                    base != null
                            ? base.toBuilder()
                            : LadderConfig.builder().setZDims(16, 32, 64).optChannels(16).optImageChannels(imageChannels).optImageSize(defaultImageSize);
            if (zDims != null) {
                b.setZDims(parseZDims(zDims));
            }
            if (channels != null) {
                b.optChannels(positive("--channels", channels));
            }
            if (sdHead != null) {
                b.optSdHead(sdHead);
            }
            if (imageSize != null) {
                b.optImageSize(imageSize);
            }
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new InputException(e.getMessage(), e);
            }
        }
    }

    /** The Langevin sampler and sigma; unset values come from a checkpoint, else defaults. */
    static final class Sampler {
        @Option(names = "--steps", paramLabel = "K", description = "Langevin steps K (default: 25).")
        Integer steps;

        @Option(
                names = "--step-size",
                paramLabel = "S",
                description = "Langevin noise standard deviation s; the paper's step size is s^2/2 (default: 0.05).")
        Float stepSize;

        @Option(names = "--sigma", paramLabel = "SIGMA", description = "Observation noise sigma (default: 0.15).")
        Float sigma;

        /** The sampler to evaluate a checkpoint with: its K and s unless overridden. */
        Langevin langevin(Checkpoint cp) {
            int k = positive("--steps", orElse(steps, cp.getLearningConfig().getSteps()));
            float s = positive("--step-size", orElse(stepSize, cp.getStepSize()));
            return Langevin.builder().setSteps(k).setStepSize(s).build();
        }

        /** Sigma to evaluate a checkpoint with: its value at the checkpoint's iteration unless overridden. */
        float sigma(Checkpoint cp) {
            return positive("--sigma", orElse(sigma, (float) cp.getLearningConfig().sigma().valueAt(cp.getIteration())));
        }
    }

    /** The engine's thread count, shared by every subcommand. */
    static final class Engine {
        @Option(names = "--threads", paramLabel = "N", description = "Intra-op threads (default: all cores).")
        int threads;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec command;

        private int started;

        /**
         * Starts the engine with what must reach DJL before it starts: the offline switch (on
         * unless a download was asked for) and the intra-op thread count, which it returns.
         */
        int start(boolean allowDownload) {
            if (threads < 0) {
                throw new InputException("--threads must be 0 (all cores) or more, got " + threads);
            }
            System.setProperty("ai.djl.offline", Boolean.toString(!allowDownload));
            int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
            ai.djl.engine.Engine.getEngine("PyTorch");
            started = n;
            return n;
        }

        /**
         * What a run records of how it was started: the versions, the command line as given, the
         * thread count and the CPU, for config.json.
         */
        Map<String, Object> record(EngineCheck.Report check) {
            Map<String, Object> versions = new LinkedHashMap<>();
            versions.put("shortrun", ShortrunCommand.VERSION);
            versions.put("djl", check.djl());
            versions.put("libtorch", check.libtorch());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("versions", versions);
            List<String> args = new ArrayList<>();
            args.add("shortrun");
            if (command != null && command.root().commandLine().getParseResult() != null) {
                args.addAll(command.root().commandLine().getParseResult().originalArgs());
            }
            m.put("command_line", args);
            m.put("threads", started);
            m.put("cpu", check.cpu().toMap());
            return m;
        }

        /**
         * Checks the engine's gradients at the model's shapes before long work (docs/DESIGN.md,
         * "Wrong convolution gradients in the engine") and says on standard error what it found.
         *
         * @throws InputException if the float32 gradients disagree with float64: one line, exit 2
         */
        EngineCheck.Report check(LadderConfig model) {
            EngineCheck.Report report;
            try (NDManager manager = NDManager.newBaseManager()) {
                report = EngineCheck.run(model, manager);
            }
            require(report);
            System.err.printf(
                    Locale.ROOT,
                    "shortrun: engine check passed in %.1f s (float32 gradients within %.1e of float64)%s%n",
                    report.seconds(),
                    report.generator().worst(),
                    report.engineHasConvolutionBug() ? "; this machine's oneDNN gets convolution gradients wrong, which shortrun works around" : "");
            return report;
        }

        static void require(EngineCheck.Report report) {
            if (!report.ok()) {
                throw new InputException(report.problem());
            }
        }
    }

    /** A checkpoint to read, and the seed of the random draws made from it. */
    static final class CheckpointInput {
        @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "A run directory or its checkpoint/.")
        Path checkpoint;

        @Option(names = "--seed", paramLabel = "N", description = "Seed (default: 1).")
        int seed = 1;

        Checkpoint read() {
            return Checkpoint.read(checkpoint);
        }
    }

    /** How many test images an evaluation measures, and in what batches. */
    static final class TestImages {
        @Option(names = "--count", paramLabel = "N", description = "Test images measured, from the first (default: 1000).")
        int count = 1000;

        @Option(names = "--batch-size", paramLabel = "N", description = "Images per inference batch (default: 100).")
        int batchSize = 100;

        void validate() {
            positive("--count", count);
            positive("--batch-size", batchSize);
        }
    }

    /**
     * What an evaluation of a checkpoint on test images starts from: the checkpoint, its sampler
     * and sigma (or the overrides), and the test split at the model's image size.
     */
    record Evaluation(Checkpoint checkpoint, Langevin langevin, float sigma, ImageDataset test) {

        /** Checks everything, starts the engine and loads the test split. */
        static Evaluation open(CheckpointInput input, Data data, Sampler sampler, Engine engine) {
            Checkpoint cp = input.read();
            Langevin langevin = sampler.langevin(cp);
            float sigma = sampler.sigma(cp);
            data.validate();
            data.checkModel(cp.getModelConfig());
            engine.start(data.download);
            ImageDataset test = data.load(Split.TEST, cp.getModelConfig().getImageSize());
            if (test.imageCount() == 0) {
                throw new InputException(data.describe() + " has no test images");
            }
            engine.check(cp.getModelConfig());
            return new Evaluation(cp, langevin, sigma, test);
        }
    }

    static int[] parseZDims(String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            throw new InputException("--z-dims is empty: give latent dimensions top first, e.g. 16,32,64");
        }
        String[] parts = trimmed.split(",", -1);
        int[] dims = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new InputException("--z-dims: '" + parts[i].trim() + "' is not a whole number (in '" + text + "')");
            }
            if (dims[i] <= 0) {
                throw new InputException("--z-dims: every dimension must be positive, got " + Arrays.toString(dims).replace(" ", ""));
            }
        }
        return dims;
    }

    static int positive(String flag, int value) {
        if (value <= 0) {
            throw new InputException(flag + " must be positive, got " + value);
        }
        return value;
    }

    static long positive(String flag, long value) {
        if (value <= 0) {
            throw new InputException(flag + " must be positive, got " + value);
        }
        return value;
    }

    static float positive(String flag, float value) {
        if (!(value > 0) || Float.isInfinite(value)) {
            throw new InputException(flag + " must be positive, got " + value);
        }
        return value;
    }

    /** Parses a step-size selection: {@code admissible} or {@code lowest} (the paper's rule). */
    static StepSizeSearch.Selection selection(String option, String value) {
        return switch (value) {
            case "admissible" -> StepSizeSearch.Selection.ADMISSIBLE;
            case "lowest" -> StepSizeSearch.Selection.LOWEST_FINITE;
            default -> throw new InputException(option + " must be admissible or lowest, got '" + value + "'");
        };
    }

    static <T> T orElse(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
