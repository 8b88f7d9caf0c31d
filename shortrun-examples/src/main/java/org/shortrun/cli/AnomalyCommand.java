package org.shortrun.cli;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.engine.EngineCheck;
import org.shortrun.eval.AnomalyJob;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun anomaly}: one-class anomaly detection, the Langevin autoencoders' task. */
@Command(
        name = "anomaly",
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description =
                "Train on one class (or take a trained model) and score every test image by the"
                        + " energy of its inferred latent; prints the AUROC with that class as"
                        + " normal as JSON.")
final class AnomalyCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model model = new Options.Model();
    @Mixin Options.Method method = new Options.Method();
    @Mixin Options.Settings settings = new Options.Settings();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--normal-class", required = true, paramLabel = "K", description = "0..9.")
    int normalClass;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Score with this model.")
    Path checkpoint;

    @Option(names = "--out", paramLabel = "DIR", description = "The run, scores.csv, roc.png.")
    Path out;

    @Option(names = "--test-images", paramLabel = "N", description = "The first N; 0: all.")
    int testImages;

    @Override
    public Integer call() throws Exception {
        if (normalClass < 0 || testImages < 0) {
            throw new InputException("--normal-class and --test-images must be 0 or more");
        }
        if (checkpoint != null && settings.iterations != null) {
            throw new InputException(
                    "--iterations trains a model and --checkpoint takes a trained one; give one");
        }
        Datasets source = data.source();
        AnomalyJob.Builder job =
                AnomalyJob.builder()
                        .setNormalClass(normalClass)
                        .optTestImages(testImages)
                        .optOutput(out)
                        .optProgress(new ProgressBar(System.err, "img").asProgress());
        LadderConfig architecture;
        if (checkpoint != null) {
            Checkpoint cp = Checkpoint.read(checkpoint);
            architecture = cp.getModelConfig();
            job.optCheckpoint(cp);
        } else {
            architecture = model.build(null, data.dataset.channels());
            job.setGenerator(new LadderGenerator(architecture)).setLearning(learning(source));
            job.optListener(new ProgressBar(System.err));
        }
        if (architecture == null) {
            throw new InputException(checkpoint + " holds a user's own generator");
        }
        source.checkModel(new LadderGenerator(architecture).getImageShape());
        engine.start(data.download);
        ImageDataset test = source.load(Split.TEST, architecture.getImageSize());
        job.setTestImages(test);
        if (checkpoint == null) {
            job.setTrainImages(source.load(Split.TRAIN, architecture.getImageSize()));
        }
        EngineCheck.Report check = engine.check(architecture);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("data", source.describe());
        record.put("normal_class", normalClass);
        record.put("engine_check", check.toMap());
        record.putAll(engine.record(check));
        Json.print(
                Options.inputError(job.optRecord(record).optDevice(engine.device())::build)
                        .run()
                        .toMap());
        return 0;
    }

    /** The method's published settings, 300 iterations of 64 at a constant 5e-4 unless given. */
    private LearningConfig learning(Datasets source) {
        LearningConfig base =
                Options.inputError(
                        () ->
                                LearningConfig.builder()
                                        .optMethodAsPublished(
                                                method.name != null ? method.name : "shortrun")
                                        .setIterations(300)
                                        .optBatchSize(64)
                                        .optLearningRate(LearningRateSchedule.CONSTANT, 5e-4)
                                        .optCheckpointEvery(0)
                                        .build());
        JsonObject changes = Options.json(settings, Set.of());
        changes.addProperty("data", source.identity());
        changes.add("method", method.json());
        return base.with(changes);
    }
}
