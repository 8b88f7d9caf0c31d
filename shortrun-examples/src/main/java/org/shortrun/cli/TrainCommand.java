package org.shortrun.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.Method;
import org.shortrun.training.StepSizeTuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun train}: learn a model, with checkpoints, metrics and pictures in --out. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description =
                "Train a model; writes config.json, metrics.csv, loss.png, samples.png,"
                    + " reconstructions.png and checkpoint/ to --out, and with --step-size-every"
                    + " stepsize.jsonl and its plots.")
final class TrainCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model modelOptions = new Options.Model();
    @Mixin Options.Sampler sampler = new Options.Sampler();

    @Option(
            names = "--method",
            paramLabel = "NAME",
            description =
                    "How a batch's latents are inferred: shortrun (Langevin from noise), abp"
                        + " (alternating back-propagation: persistent chains per example, with Han"
                        + " et al.'s --steps 40 --step-size 0.3 --sigma 0.3 unless given), lvae"
                        + " (Ladder-VAE), vae (a VAE's encoder), glo (a learned code per example;"
                        + " --steps is the code search per held-out image, 100 unless given), lae"
                        + " (a Langevin autoencoder: amortised Langevin dynamics on the encoder's"
                        + " final linear map W; --steps is the W updates per batch the learning"
                        + " uses after one burn-in, 2 unless given, and --step-size their eta, 1e-5"
                        + " unless given) or clae (lae with an energy-based latent prior, learned"
                        + " contrastively) (default: shortrun).")
    Method method;

    @Option(
            names = "--kl-warmup",
            paramLabel = "N",
            description =
                    "lvae and vae: iterations over which the KL weight rises from 0 to 1; 0 for"
                            + " none (default: 1000).")
    Long klWarmup;

    @Option(
            names = "--code-lr",
            paramLabel = "RATE",
            description =
                    "glo: step size of the codes' gradient steps on their summed squared error"
                            + " (default: 0.01).")
    Float codeLearningRate;

    @Mixin Options.Autoencoder autoencoder = new Options.Autoencoder();

    @Option(
            names = "--eval-at-start",
            description = "Also measure the test reconstruction error before training.")
    boolean evalAtStart;

    @Option(
            names = "--iterations",
            paramLabel = "N",
            description = "Iterations to train to, counting resumed ones (default: 1000).")
    Long iterations;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Images per batch (default: 100).")
    Integer batchSize;

    @Option(
            names = "--lr",
            paramLabel = "RATE",
            description = "Base learning rate (default: 8e-5 released/constant, 1e-4 paper).")
    Double lr;

    @Option(
            names = "--lr-schedule",
            paramLabel = "NAME",
            description = "released, paper or constant (default: released).")
    LearningRateSchedule lrSchedule;

    @Option(
            names = "--sigma-anneal-from",
            paramLabel = "SIGMA",
            description = "Anneal sigma linearly from this value to --sigma.")
    Float sigmaStart;

    @Option(
            names = "--sigma-anneal-iterations",
            paramLabel = "N",
            description = "Length of the sigma annealing (default: half the run).")
    Long sigmaAnnealIterations;

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Seed of every random draw (default: 1).")
    Long seed;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "N",
            description = "Checkpoint interval; 0 for only at the end (default: 1000).")
    Long checkpointEvery;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Output directory (default: the resumed run's, else runs/train).")
    Path out;

    @Option(
            names = "--resume",
            paramLabel = "DIR",
            description = "Continue from this checkpoint (a run directory or its checkpoint/).")
    Path resume;

    @Option(
            names = "--eval-images",
            paramLabel = "N",
            description = "Test images for the final reconstruction error (default: 500).")
    int evalImages = 500;

    @Option(
            names = "--step-size-every",
            paramLabel = "T",
            description =
                    "Re-optimise s by the variational objective before iteration 0, T, 2T, ..."
                            + " (default: never).")
    Long stepSizeEvery;

    @Option(
            names = "--step-size-search",
            paramLabel = "NAME",
            description = "grid or gradient (default: grid).")
    String stepSizeSearch;

    @Option(
            names = "--step-size-per-step",
            description =
                    "With --step-size-search gradient: tune a step size per Langevin step,"
                        + " s_1..s_K, each search starting from the current ones (default: one s"
                        + " shared by all steps).")
    Boolean stepSizePerStep;

    @Option(
            names = "--step-size-grid",
            paramLabel = "FROM:TO:STEP|S,S,..",
            description = "The grid of s (default: 0.01:0.15:0.01).")
    String stepSizeGrid;

    @Option(
            names = "--step-size-select",
            paramLabel = "RULE",
            description =
                    "lowest (the lowest finite estimate, the paper's rule) or admissible (only s"
                            + " where no step's Jacobian has a non-positive eigenvalue, a stability"
                            + " condition) (default: lowest).")
    String stepSizeSelect;

    @Option(
            names = "--step-size-log-det",
            paramLabel = "METHOD",
            description =
                    "exact or fast (about 20 times cheaper; see docs/STEPSIZE.md) log-determinants"
                            + " in the searches (default: exact).")
    String stepSizeLogDet;

    @Option(
            names = "--step-size-examples",
            paramLabel = "N",
            description = "Training images per search (default: 4).")
    Integer stepSizeExamples;

    @Option(
            names = "--step-size-chains",
            paramLabel = "N",
            description = "Chains per image per search (default: 1).")
    Integer stepSizeChains;

    @Option(
            names = "--step-size-gradient-iterations",
            paramLabel = "N",
            description = "Gradient steps per search, from the current s (default: 10).")
    Integer stepSizeGradientIterations;

    @Option(
            names = "--step-size-gradient-rate",
            paramLabel = "R",
            description = "Adam's step on log s (default: 0.1).")
    Double stepSizeGradientRate;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        validate();
        Checkpoint checkpoint = resume != null ? Checkpoint.read(resume) : null;
        Path output =
                out != null
                        ? out
                        : checkpoint != null
                                ? checkpoint.getRunDirectory()
                                : Path.of("runs", "train");
        TrainJob.checkOutput(output, checkpoint);
        LadderConfig model =
                modelOptions.build(
                        checkpoint != null ? checkpoint.getModelConfig() : null,
                        data.imageChannels(),
                        32);
        if (checkpoint != null && !model.equals(checkpoint.getModelConfig())) {
            throw new InputException(
                    "checkpoint "
                            + checkpoint.getDirectory()
                            + " is for a different model ("
                            + checkpoint.getModelConfig()
                            + "), not "
                            + model);
        }
        data.validate();
        LearningConfig training =
                trainingConfig(checkpoint != null ? checkpoint.getLearningConfig() : null);
        if (checkpoint != null && !checkpoint.getLearningConfig().isResumableAs(training)) {
            throw new InputException(
                    "checkpoint "
                            + checkpoint.getDirectory()
                            + " was trained with other settings ("
                            + String.join(
                                    "; ", checkpoint.getLearningConfig().resumeConflicts(training))
                            + "); only --iterations and --checkpoint-every may change on --resume,"
                            + " and the data options must name the same images");
        }
        data.source().checkChannels(model);
        Learner.checkCompatible(model, training);
        engine.start(data.download);
        ImageDataset train = data.load(Split.TRAIN, model.getImageSize());
        ImageDataset test = data.load(Split.TEST, model.getImageSize());
        new TrainJob(
                        model,
                        training,
                        train,
                        test,
                        output,
                        checkpoint,
                        data.describe(),
                        evalImages,
                        engine)
                .run(evalAtStart);
        return 0;
    }

    private void validate() {
        if (iterations != null) {
            Options.positive("--iterations", iterations);
        }
        if (batchSize != null) {
            Options.positive("--batch-size", batchSize);
        }
        if (sampler.steps != null) {
            Options.positive("--steps", sampler.steps);
        }
        if (sampler.stepSize != null) {
            Options.positive("--step-size", sampler.stepSize);
        }
        if (sampler.sigma != null) {
            Options.positive("--sigma", sampler.sigma);
        }
        if (sigmaStart != null) {
            Options.positive("--sigma-anneal-from", sigmaStart);
        }
        if (lr != null && !(lr > 0)) {
            throw new InputException("--lr must be positive, got " + lr);
        }
        if (klWarmup != null && klWarmup < 0) {
            throw new InputException("--kl-warmup must be 0 or more, got " + klWarmup);
        }
        if (codeLearningRate != null) {
            Options.positive("--code-lr", codeLearningRate);
        }
        if (checkpointEvery != null && checkpointEvery < 0) {
            throw new InputException(
                    "--checkpoint-every must be 0 or more, got " + checkpointEvery);
        }
        Options.positive("--eval-images", evalImages);
    }

    private LearningConfig trainingConfig(LearningConfig base) {
        LearningConfig.Builder b = base != null ? base.toBuilder() : LearningConfig.builder();
        if (base == null && method != null) {
            b.optMethodAsPublished(method);
        } else if (method != null) {
            b.optMethod(method);
        }
        LearningConfig defaults = b.build();
        b.setIterations(Options.orElse(iterations, defaults.getIterations()));
        b.optBatchSize(Options.orElse(batchSize, defaults.getBatchSize()));
        b.optSteps(Options.orElse(sampler.steps, defaults.getSteps()));
        if (sampler.stepSize != null) {
            // only when given: a resumed run's per-step starting sizes stay unless replaced
            b.optStepSize(sampler.stepSize);
        }
        b.optSigma(Options.orElse(sampler.sigma, defaults.getSigma()));
        LearningRateSchedule schedule = Options.orElse(lrSchedule, defaults.getLrSchedule());
        // 0 asks for the schedule's own default base rate
        b.optLearningRate(schedule, lr != null ? lr : base != null ? base.getLearningRate() : 0);
        b.optSeed(Options.orElse(seed, defaults.getSeed()));
        b.optCheckpointEvery(Options.orElse(checkpointEvery, defaults.getCheckpointEvery()));
        b.optData(data.identity());
        if (klWarmup != null) {
            b.optKlWarmup(klWarmup);
        }
        if (codeLearningRate != null) {
            b.optCodeLearningRate(codeLearningRate);
        }
        autoencoder.apply(b);
        b.optStepSizeTuning(
                StepSizeTuning.overriding(
                        defaults.getStepSizeTuning(),
                        stepSizeEvery,
                        stepSizeSearch,
                        stepSizePerStep,
                        stepSizeGrid,
                        stepSizeExamples,
                        stepSizeChains,
                        stepSizeGradientIterations,
                        stepSizeGradientRate,
                        stepSizeSelect,
                        stepSizeLogDet));
        if (sigmaStart != null) {
            long total = Options.orElse(iterations, defaults.getIterations());
            b.optSigmaAnneal(
                    sigmaStart, Options.orElse(sigmaAnnealIterations, Math.max(1, total / 2)));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
    }
}
