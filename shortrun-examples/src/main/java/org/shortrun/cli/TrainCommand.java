package org.shortrun.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import org.shortrun.ImageSource;
import org.shortrun.data.Datasets;
import org.shortrun.data.Split;
import org.shortrun.eval.TrainingReport;
import org.shortrun.method.LangevinLearning;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.stepsize.StepSizeTuning;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.ProgressBar;
import org.shortrun.training.RunDirectory;
import org.shortrun.training.TrainingJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun train}: learn a model, with checkpoints, metrics and pictures in --out. */
@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true)
final class TrainCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Model model = new Options.Model();
    @Mixin Options.Method method = new Options.Method();
    @Mixin Options.Settings settings = new Options.Settings();
    @Mixin Options.Tuning tuning = new Options.Tuning();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--sigma-anneal-from", paramLabel = "S")
    Float sigmaStart;

    @Option(names = "--sigma-anneal-iterations", paramLabel = "N")
    Long sigmaAnnealIterations;

    @Option(names = "--checkpoint-every", paramLabel = "N")
    Long checkpointEvery;

    @Option(names = "--out", paramLabel = "DIR")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR")
    Path resume;

    @Option(names = "--eval-at-start")
    boolean evalAtStart;

    @Option(names = "--eval-images", paramLabel = "N")
    int evalImages = 500;

    @Override
    public Integer call() throws IOException {
        Checkpoint resumed = resume != null ? Checkpoint.read(resume) : null;
        LadderConfig architecture =
                model.build(
                        resumed != null ? resumed.requireLadder() : null, data.dataset.channels());
        if (resumed != null) {
            resumed.requireGenerator(new LadderGenerator(architecture));
        }
        Path output = out != null ? out : resumed != null ? resumed.getRunDirectory() : null;
        output = output != null ? output : Path.of("runs", "train");
        RunDirectory.check(output, resumed);
        Datasets source = data.source();
        LearningConfig learning = learning(resumed, source);
        if (resumed != null) {
            resumed.requireResumableAs(learning);
        }
        source.checkChannels(architecture.getImageChannels());
        engine.start(data.download);
        ImageSource train = source.load(Split.TRAIN, architecture.getImageSize());
        ImageSource test = source.load(Split.TEST, architecture.getImageSize());
        try (TrainingJob job =
                TrainingJob.builder()
                        .setGenerator(new LadderGenerator(architecture))
                        .setLearning(learning)
                        .setTrainImages(train)
                        .optResume(resumed)
                        .optOutput(output)
                        .optRecord(engine.record(source.describe()))
                        .optEngineCheck(engine::passed)
                        .optNotes(note -> System.err.println("shortrun: note: " + note))
                        .optDevice(engine.device())
                        .addListener(new ProgressBar(System.err))
                        .addListener(
                                TrainingJob.Listener.ofStepSizeSearches(
                                        s -> Json.print(s.toEvent())))
                        .build()) {
            System.err.println("shortrun: " + job.describe());
            TrainingReport.builder()
                    .setTestImages(test)
                    .optEvalImages(evalImages)
                    .optEvaluateAtStart(evalAtStart)
                    .optLines(Json::print)
                    .optWarnings(w -> System.err.println("shortrun: warning: " + w))
                    .build()
                    .train(job);
        }
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
}
