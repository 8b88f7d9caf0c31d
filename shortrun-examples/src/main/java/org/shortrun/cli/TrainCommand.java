package org.shortrun.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
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
import org.shortrun.eval.TrainingReport;
import org.shortrun.method.LangevinLearning;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.stepsize.StepSizeTuning;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.ProgressBar;
import org.shortrun.training.TrainingJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun train}: learn a model, with checkpoints, metrics and pictures in --out. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description =
                "Train a model; writes config.json, metrics.csv, loss.png, samples.png,"
                        + " reconstructions.png and checkpoint/ to --out (README.md lists the"
                        + " options' defaults).")
final class TrainCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model model = new Options.Model();
    @Mixin Options.Method method = new Options.Method();
    @Mixin Options.Settings settings = new Options.Settings();
    @Mixin Options.Tuning tuning = new Options.Tuning();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(
            names = "--sigma-anneal-from",
            paramLabel = "S",
            converter = Options.PositiveFloat.class)
    Float sigmaStart;

    @Option(names = "--sigma-anneal-iterations", paramLabel = "N", description = "Half the run.")
    Long sigmaAnnealIterations;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "0: only at the end.")
    Long checkpointEvery;

    @Option(names = "--out", paramLabel = "DIR", description = "The resumed run's, or runs/train.")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue this run.")
    Path resume;

    @Option(names = "--eval-at-start", description = "Also measure the test error before.")
    boolean evalAtStart;

    @Option(names = "--eval-images", paramLabel = "N", converter = Options.PositiveInt.class)
    int evalImages = 500;

    @Override
    public Integer call() throws IOException {
        Checkpoint resumed = resume != null ? Checkpoint.read(resume) : null;
        LadderConfig base = resumed != null ? resumed.getModelConfig() : null;
        if (resumed != null && base == null) {
            throw new InputException(resumed.getDirectory() + " holds a user's own generator");
        }
        LadderConfig architecture = model.build(base, data.dataset.channels());
        if (base != null && !architecture.equals(base)) {
            throw new InputException(
                    "checkpoint "
                            + resumed.getDirectory()
                            + " is for another model ("
                            + base
                            + ")");
        }
        Datasets source = data.source();
        LearningConfig learning = learning(resumed, source);
        source.checkChannels(architecture.getImageChannels());
        engine.start(data.download);
        Run run =
                new Run(
                        architecture,
                        learning,
                        resumed,
                        source.load(Split.TRAIN, architecture.getImageSize()),
                        source.load(Split.TEST, architecture.getImageSize()),
                        source.describe());
        Path output = out != null ? out : resumed != null ? resumed.getRunDirectory() : null;
        run(
                run,
                output != null ? output : Path.of("runs", "train"),
                evalImages,
                evalAtStart,
                engine);
        return 0;
    }

    /** The settings: the resumed run's or the method's published ones, the options laid over. */
    private LearningConfig learning(Checkpoint resumed, Datasets source) {
        String name = method.name != null ? method.name : "shortrun";
        LearningConfig base =
                resumed != null
                        ? resumed.getLearningConfig()
                        : Options.inputError(
                                () -> LearningConfig.builder().optMethodAsPublished(name).build());
        JsonObject changes = Options.json(settings, Set.of());
        changes.addProperty("data", source.identity());
        changes.addProperty("sigmaStart", sigmaStart);
        changes.addProperty("sigmaAnnealIterations", sigmaAnnealIterations);
        changes.addProperty("checkpointEvery", checkpointEvery);
        JsonObject options = method.json();
        StepSizeTuning current =
                base.getMethod() instanceof LangevinLearning langevin
                        ? langevin.getStepSizeTuning()
                        : null;
        StepSizeTuning tuned = tuning.over(current);
        if (tuned != null && tuned != current) {
            options.add("stepSizeTuning", Json.tree(tuned));
        }
        changes.add("method", options);
        return base.with(changes);
    }

    /** What a run trains: the architecture, the settings, a checkpoint to resume, the data. */
    record Run(
            LadderConfig architecture,
            LearningConfig learning,
            Checkpoint resumed,
            ImageDataset train,
            ImageDataset test,
            String data) {}

    /** Trains under the run directory's lock, then reports; shared with {@code demo}. */
    static void run(
            Run run, Path output, int evalImages, boolean evalAtStart, Options.Engine engine)
            throws IOException {
        EngineCheck.Report check = engine.check(run.architecture());
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("data", run.data());
        record.put("engine_check", check.toMap());
        record.putAll(engine.record(check));
        try (TrainingJob job =
                TrainingJob.builder()
                        .setGenerator(new LadderGenerator(run.architecture()))
                        .setLearning(run.learning())
                        .setTrainImages(run.train())
                        .optResume(run.resumed())
                        .optOutput(output)
                        .optRecord(record)
                        .optNotes(note -> System.err.println("shortrun: note: " + note))
                        .optDevice(engine.device())
                        .addListener(new ProgressBar(System.err))
                        .addListener(
                                new TrainingJob.Listener() {
                                    @Override
                                    public void onStepSizeSearch(
                                            TrainingJob.StepSizeSearchRecord search) {
                                        Json.print(search.toEvent());
                                    }
                                })
                        .build()) {
            System.err.printf(
                    "shortrun: %s; %d parameters; %s, %d training images; iterations %d to %d%n",
                    run.architecture(),
                    job.getLearner().getGenerator().countParameters(),
                    run.data(),
                    run.train().imageCount(),
                    job.getLearner().getIteration(),
                    run.learning().getIterations());
            TrainingReport.builder()
                    .setTestImages(run.test())
                    .optEvalImages(evalImages)
                    .optEvaluateAtStart(evalAtStart)
                    .optLines(Json::print)
                    .optWarnings(w -> System.err.println("shortrun: warning: " + w))
                    .build()
                    .train(job);
        }
    }
}
