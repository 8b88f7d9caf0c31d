package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.inference.Langevin;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.Parameterisation;
import org.shortrun.model.SdHead;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Option groups shared by the subcommands, and the checks that turn them into settings. */
final class Options {

    private Options() {}

    /** Where the images come from: the flags of {@link Datasets}. */
    static final class Data {
        @Option(
                names = "--dataset",
                paramLabel = "NAME",
                description = "mnist, svhn or celeba (default: mnist).")
        Datasets.Name dataset = Datasets.Name.MNIST;

        @Option(
                names = "--data-dir",
                paramLabel = "DIR",
                description =
                        "Directory with the dataset's files. MNIST's default: its test set embedded"
                                + " in the jar.")
        Path dataDir;

        @Option(
                names = "--download",
                description =
                        "Download MNIST through DJL when no --data-dir is given (needs the"
                                + " network).")
        boolean download;

        @Option(
                names = "--svhn-extra",
                description = "SVHN: add extra_32x32.mat to the training split.")
        boolean svhnExtra;

        @Option(
                names = "--celeba-first",
                paramLabel = "N",
                description =
                        "CelebA: train on the first N images in file order (the released script:"
                                + " 40000).")
        int celebaFirst;

        @Option(
                names = "--cache-dir",
                paramLabel = "DIR",
                description =
                        "CelebA: where decoded images are cached (default: ~/.cache/shortrun).")
        Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "shortrun");

        /** The dataset these flags name; checks what can be checked before anything is read. */
        Datasets source() {
            return settings().build();
        }

        /** The dataset's settings, unchecked. */
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

        ImageDataset load(Split split, int imageSize) {
            return source().load(split, imageSize);
        }

        void validate() {
            source();
        }

        int imageChannels() {
            return dataset.channels();
        }

        void checkModel(LadderConfig model) {
            source().checkModel(model);
        }

        void checkImageSize(int side, String what) {
            source().checkImageSize(side, what);
        }

        String name() {
            return dataset.name().toLowerCase(java.util.Locale.ROOT);
        }

        String cacheKey(Split split, int side) {
            return source().cacheKey(split, side);
        }

        String describe() {
            return source().describe();
        }

        /** What a run trains on, as its checkpoint records it: see {@link Datasets#identity()}. */
        String identity() {
            return source().identity();
        }
    }

    /** The architecture; unset values come from a checkpoint being resumed, else defaults. */
    static final class Model {
        @Option(
                names = "--z-dims",
                paramLabel = "D,D,..",
                description = "Latent dimensions per layer, top first (default: 16,32,64).")
        String zDims;

        @Option(
                names = "--channels",
                paramLabel = "N",
                description = "Channel width n_f (default: 16).")
        Integer channels;

        @Option(
                names = "--sd-head",
                paramLabel = "HEAD",
                description = "Standard-deviation head: released or softplus (default: released).")
        SdHead sdHead;

        @Option(
                names = "--image-size",
                paramLabel = "N",
                description =
                        "Image side the model generates: 32 or 64 (default: 32; MNIST's 28 is"
                                + " resized).")
        Integer imageSize;

        @Option(
                names = "--parameterisation",
                paramLabel = "NAME",
                description =
                        "How a layer's latent is formed: released (z = mu + sd * e) or ladder (z ="
                            + " GELU(Linear([mu; e])), the paper's Fig. 5) (default: released).")
        Parameterisation parameterisation;

        @Option(
                names = "--no-skip",
                description = "Leave out the skip connections between layers' feature maps.")
        Boolean noSkip;

        LadderConfig build(LadderConfig base, int imageChannels, int defaultImageSize) {
            LadderConfig.Builder b =
                    base != null
                            ? base.toBuilder()
                            : LadderConfig.builder()
                                    .setZDims(16, 32, 64)
                                    .optChannels(16)
                                    .optImageChannels(imageChannels)
                                    .optImageSize(defaultImageSize);
            if (zDims != null) {
                b.setZDims(LadderConfig.parseZDims("--z-dims", zDims));
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
            if (parameterisation != null) {
                b.optParameterisation(parameterisation);
            }
            if (noSkip != null) {
                b.optSkipConnections(!noSkip);
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
        @Option(
                names = "--steps",
                paramLabel = "K",
                description = "Langevin steps K (default: 25).")
        Integer steps;

        @Option(
                names = "--step-size",
                paramLabel = "S",
                description =
                        "Langevin noise standard deviation s; the paper's step size is s^2/2"
                                + " (default: 0.05).")
        Float stepSize;

        @Option(
                names = "--sigma",
                paramLabel = "SIGMA",
                description = "Observation noise sigma (default: 0.15).")
        Float sigma;

        /**
         * The sampler to evaluate a checkpoint with: its K and step sizes (per step, where it has
         * sizes of its own) unless overridden; a given --step-size is shared by all steps.
         */
        Langevin langevin(Checkpoint cp) {
            int trainedSteps = cp.getLearningConfig().getSteps();
            int k = positive("--steps", orElse(steps, trainedSteps));
            if (stepSize != null) {
                return Langevin.builder()
                        .setSteps(k)
                        .setStepSize(positive("--step-size", stepSize))
                        .build();
            }
            if (k == trainedSteps) {
                return cp.langevin();
            }
            if (cp.hasPerStepSizes()) {
                throw new InputException(
                        "--steps "
                                + k
                                + ": the checkpoint has a step size per step for its K = "
                                + trainedSteps
                                + " steps, which cannot be used for another K; give --step-size S"
                                + " too");
            }
            return Langevin.builder().setSteps(k).setStepSize(cp.getStepSize()).build();
        }

        /**
         * Sigma to evaluate a checkpoint with: its value at the checkpoint's iteration unless
         * overridden.
         */
        float sigma(Checkpoint cp) {
            return positive("--sigma", orElse(sigma, cp.getSigma()));
        }
    }

    /** The settings of the Langevin autoencoders, {@code lae} and {@code clae}. */
    static final class Autoencoder {
        @Option(
                names = "--metropolis",
                negatable = true,
                description =
                        "lae and clae: correct each Langevin proposal of W by Metropolis-Hastings;"
                                + " --no-metropolis leaves it out (default: on).")
        Boolean metropolis;

        @Option(
                names = "--prior-steps",
                paramLabel = "K",
                description =
                        "clae: short-run Langevin steps from noise for the prior's samples"
                                + " (default: 60).")
        Integer priorSteps;

        @Option(
                names = "--prior-step-size",
                paramLabel = "S",
                description = "clae: step size s of the prior's Langevin steps (default: 0.4).")
        Float priorStepSize;

        @Option(
                names = "--prior-lr-scale",
                paramLabel = "F",
                description =
                        "clae: the prior's learning rate as a multiple of --lr (default: 0.2).")
        Float priorLearningRateScale;

        /** Checks the values given and sets them; those left out keep the builder's. */
        void apply(LearningConfig.Builder b) {
            if (metropolis != null) {
                b.optMetropolis(metropolis);
            }
            if (priorSteps != null) {
                b.optPriorSteps(positive("--prior-steps", priorSteps));
            }
            if (priorStepSize != null) {
                b.optPriorStepSize(positive("--prior-step-size", priorStepSize));
            }
            if (priorLearningRateScale != null) {
                b.optPriorLearningRateScale(positive("--prior-lr-scale", priorLearningRateScale));
            }
        }
    }

    /** The engine's thread count, shared by every subcommand. */
    static final class Engine {
        @Option(
                names = "--threads",
                paramLabel = "N",
                description = "Intra-op threads (default: all cores).")
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
            List<String> args = new ArrayList<>(List.of("shortrun"));
            if (command != null && command.root().commandLine().getParseResult() != null) {
                args.addAll(command.root().commandLine().getParseResult().originalArgs());
            }
            return check.runRecord(ShortrunCommand.VERSION, args, started);
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
                    "shortrun: engine check passed in %.1f s (float32 gradients within %.1e of"
                            + " float64)%s%n",
                    report.seconds(),
                    report.generator().worst(),
                    report.engineHasConvolutionBug()
                            ? "; this machine's oneDNN gets convolution gradients wrong, which"
                                    + " shortrun works around"
                            : "");
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
        @Option(
                names = "--checkpoint",
                required = true,
                paramLabel = "DIR",
                description = "A run directory or its checkpoint/.")
        Path checkpoint;

        @Option(names = "--seed", paramLabel = "N", description = "Seed (default: 1).")
        int seed = 1;

        Checkpoint read() {
            return Checkpoint.read(checkpoint);
        }
    }

    /** How many test images an evaluation measures, and in what batches. */
    static final class TestImages {
        @Option(
                names = "--count",
                paramLabel = "N",
                description = "Test images measured, from the first (default: 1000).")
        int count = 1000;

        @Option(
                names = "--batch-size",
                paramLabel = "N",
                description = "Images per inference batch (default: 100).")
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

    static <T> T orElse(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
