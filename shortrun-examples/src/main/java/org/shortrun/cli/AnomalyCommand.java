package org.shortrun.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.eval.AnomalyDetection;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.Method;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun anomaly}: one-class anomaly detection on MNIST, the AUROC as one JSON line. */
@Command(
        name = "anomaly",
        mixinStandardHelpOptions = true,
        description =
                "Train on one class (or take a trained model) and score every test image by the"
                    + " energy of its inferred latent; prints the AUROC with that class as normal"
                    + " as JSON.")
final class AnomalyCommand implements Callable<Integer> {

    @Option(
            names = "--method",
            paramLabel = "NAME",
            description = "lae, clae or shortrun (or any train --method) (default: shortrun).")
    Method method = Method.SHORTRUN;

    @Option(
            names = "--normal-class",
            required = true,
            paramLabel = "K",
            description = "The class trained on and normal at test time, 0 to 9 for MNIST.")
    int normalClass;

    @Option(
            names = "--iterations",
            paramLabel = "N",
            description = "Training iterations (default: 300).")
    Long iterations;

    @Option(
            names = "--checkpoint",
            paramLabel = "DIR",
            description = "Score with this trained model instead of training one.")
    Path checkpoint;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Where the training run's files, scores.csv and roc.png go (default: nothing"
                            + " written).")
    Path out;

    @Option(
            names = "--test-images",
            paramLabel = "N",
            description = "Score the first N test images (default: all).")
    int testImages;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Training images per batch (default: 64).")
    int batchSize = 64;

    @Option(
            names = "--lr",
            paramLabel = "RATE",
            description = "Adam's learning rate, constant (default: 5e-4).")
    double lr = 5e-4;

    @Option(names = "--seed", paramLabel = "N", description = "Seed (default: 1).")
    long seed = 1;

    @Mixin Options.Autoencoder autoencoder = new Options.Autoencoder();
    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model modelOptions = new Options.Model();
    @Mixin Options.Sampler sampler = new Options.Sampler();
    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws Exception {
        if (normalClass < 0) {
            throw new InputException("--normal-class must be 0 or more, got " + normalClass);
        }
        if (testImages < 0) {
            throw new InputException("--test-images must be 0 (all) or more, got " + testImages);
        }
        if (checkpoint != null && iterations != null) {
            throw new InputException(
                    "--iterations trains a model and --checkpoint takes a trained one; give one of"
                            + " them");
        }
        data.validate();
        AnomalyDetection.Builder job =
                AnomalyDetection.builder()
                        .setNormalClass(normalClass)
                        .optTestImages(testImages)
                        .optOutput(out)
                        .optProgress(
                                new ProgressBar(System.err, "img")
                                        .asProgress("shortrun anomaly: "));
        LadderConfig model;
        LearningConfig learning = null;
        if (checkpoint != null) {
            Checkpoint cp = Checkpoint.read(checkpoint);
            model = cp.getModelConfig();
            job.optCheckpoint(cp);
        } else {
            model = modelOptions.build(null, data.imageChannels(), 32);
            learning = learning();
            Learner.checkCompatible(model, learning);
            job.setModel(model).setLearning(learning).optListener(new ProgressBar(System.err));
        }
        data.checkModel(model);
        if (out != null) {
            TrainJob.checkOutput(out, null);
        }
        engine.start(data.download);
        ImageDataset test = data.load(Split.TEST, model.getImageSize());
        if (test.label(0) < 0) {
            throw new InputException(
                    data.describe() + " has no labels, and one-class tasks need them");
        }
        job.setTestImages(test);
        if (checkpoint == null) {
            job.setTrainImages(data.load(Split.TRAIN, model.getImageSize()));
        }
        AnomalyDetection detection = build(job);
        EngineCheck.Report check = engine.check(model);
        if (out == null) {
            Json.print(detection.run().toMap());
            return 0;
        }
        LearningConfig trained = learning;
        LadderConfig architecture = model;
        TrainJob.underLock(
                out,
                null,
                () -> {
                    if (trained != null) {
                        Map<String, Object> extra = new LinkedHashMap<>();
                        extra.put("data", data.describe());
                        extra.put("normal_class", normalClass);
                        extra.put("engine_check", check.toMap());
                        extra.putAll(engine.record(check));
                        TrainJob.writeConfig(out, architecture, trained, extra);
                    }
                    Json.print(detection.run().toMap());
                });
        return 0;
    }

    private static AnomalyDetection build(AnomalyDetection.Builder job) {
        try {
            return job.build();
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
    }

    private LearningConfig learning() {
        LearningConfig.Builder b = LearningConfig.builder().optMethodAsPublished(method);
        if (iterations != null) {
            Options.positive("--iterations", iterations);
        }
        b.setIterations(iterations != null ? iterations : 300);
        b.optBatchSize(Options.positive("--batch-size", batchSize));
        if (sampler.steps != null) {
            b.optSteps(Options.positive("--steps", sampler.steps));
        }
        if (sampler.stepSize != null) {
            b.optStepSize(Options.positive("--step-size", sampler.stepSize));
        }
        if (sampler.sigma != null) {
            b.optSigma(Options.positive("--sigma", sampler.sigma));
        }
        if (!(lr > 0)) {
            throw new InputException("--lr must be positive, got " + lr);
        }
        b.optLearningRate(LearningRateSchedule.CONSTANT, lr)
                .optSeed(seed)
                .optCheckpointEvery(0)
                .optData(data.identity());
        autoencoder.apply(b);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
    }
}
