package org.shortrun.cli;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.AnomalyJob;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun anomaly}: one-class anomaly detection, the Langevin autoencoders' task. */
@Command(name = "anomaly", mixinStandardHelpOptions = true, showDefaultValues = true)
final class AnomalyCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model model = new Options.Model();
    @Mixin Options.Method method = new Options.Method();
    @Mixin Options.Settings settings = new Options.Settings();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--normal-class", required = true, paramLabel = "K")
    int normalClass;

    @Option(names = "--checkpoint", paramLabel = "DIR")
    Path checkpoint;

    @Option(names = "--out", paramLabel = "DIR")
    Path out;

    @Option(names = "--test-images", paramLabel = "N")
    int testImages;

    @Override
    public Integer call() throws Exception {
        if (checkpoint != null
                && (!Options.json(settings, Set.of()).isEmpty() || method.json().size() > 0)) {
            throw new InputException(
                    "--checkpoint takes a trained model; the training options (--iterations,"
                            + " --method, ...) train one; give one or the other");
        }
        Datasets source = data.source();
        AnomalyJob.Builder job =
                AnomalyJob.builder()
                        .setNormalClass(normalClass)
                        .optTestImages(testImages)
                        .optOutput(out)
                        .optProgress(new ProgressBar(System.err, "img").asProgress());
        Checkpoint cp = checkpoint != null ? Checkpoint.read(checkpoint) : null;
        LatentGenerator generator =
                cp != null
                        ? cp.newGenerator()
                        : new LadderGenerator(model.build(null, data.dataset.channels()));
        ImageDataset test = source.load(Split.TEST, generator.getImageShape());
        if (cp != null) {
            job.optCheckpoint(cp);
        } else {
            job.setGenerator(generator)
                    .setLearning(learning(source))
                    .optListener(new ProgressBar(System.err));
            job.setTrainImages(source.load(Split.TRAIN, generator.getImageShape()));
        }
        engine.start(data.download);
        Map<String, Object> record = engine.record(source.describe());
        record.put("normal_class", normalClass);
        job.setTestImages(test)
                .optRecord(record)
                .optEngineCheck(engine::passed)
                .optDevice(engine.device());
        Json.print(Options.inputError(job::build).run().toMap());
        return 0;
    }

    /** The method's published settings, 300 iterations of 64 at a constant 5e-4 unless given. */
    private LearningConfig learning(Datasets source) {
        String name = method.name != null ? method.name : "shortrun";
        LearningConfig base =
                LearningConfig.builder()
                        .optMethodAsPublished(name)
                        .setIterations(300)
                        .optBatchSize(64)
                        .optLearningRate(LearningRateSchedule.CONSTANT, 5e-4)
                        .optCheckpointEvery(0)
                        .build();
        JsonObject changes = Options.json(settings, Set.of());
        changes.addProperty("data", source.identity());
        changes.add("method", method.json());
        return base.with(changes);
    }
}
