package org.shortrun.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.engine.EngineCheck;
import org.shortrun.eval.Reconstruction;
import org.shortrun.eval.TrainingSession;
import org.shortrun.eval.plot.RunPlots;
import org.shortrun.io.DirectoryLock;
import org.shortrun.io.WriteFailure;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.IterationStats;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.ProgressBar;
import org.shortrun.training.StepSizeTuning;
import org.shortrun.training.TrainingRun;

/**
 * A training job as the command runs it: check the output directory and the engine, build or
 * restore the learner, train with a progress bar, then write pictures and print the test error.
 */
final class TrainJob {

    /** The lock file a training run holds in its output directory while it runs. */
    static final String LOCK = "train.lock";

    private final LadderConfig model;
    private final LearningConfig training;
    private final ImageDataset train;
    private final ImageDataset test;
    private final Path out;
    private final Checkpoint resume;
    private final String dataDescription;
    private final int evalImages;
    private final Options.Engine engine;

    TrainJob(
            LadderConfig model,
            LearningConfig training,
            ImageDataset train,
            ImageDataset test,
            Path out,
            Checkpoint resume,
            String dataDescription,
            int evalImages,
            Options.Engine engine) {
        this.model = model;
        this.training = training;
        this.train = train;
        this.test = test;
        this.out = out;
        this.resume = resume;
        this.dataDescription = dataDescription;
        this.evalImages = evalImages;
        this.engine = engine;
    }

    /**
     * Refuses to start a fresh run over an existing checkpoint, which the first save would replace.
     */
    static void checkOutput(Path out, Checkpoint resume) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new InputException("--out " + out + " is a file, not a directory");
        }
        if (!Checkpoint.exists(out)) {
            return;
        }
        if (resume == null) {
            throw new InputException(
                    "--out "
                            + out
                            + " already holds a checkpoint; pass --resume "
                            + out
                            + " to continue it, or choose another --out");
        }
        if (!sameDirectory(out, resume.getRunDirectory())
                && !sameDirectory(out, resume.getDirectory())) {
            throw new InputException(
                    "--out "
                            + out
                            + " already holds the checkpoint of another run, which resuming "
                            + resume.getDirectory()
                            + " there would overwrite; choose an empty --out, or leave --out out to"
                            + " continue in the resumed run's directory");
        }
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Runs the job; with {@code evaluateAtStart} the test error is also measured before training.
     */
    void run(boolean evaluateAtStart) throws IOException {
        if (train.imageCount() < training.getBatchSize()) {
            throw new InputException(
                    "--batch-size "
                            + training.getBatchSize()
                            + " is larger than the "
                            + train.imageCount()
                            + " training images");
        }
        StepSizeTuning tuning = training.getStepSizeTuning();
        if (tuning != null && train.imageCount() < tuning.examples()) {
            throw new InputException(
                    "--step-size-examples "
                            + tuning.examples()
                            + " is more than the "
                            + train.imageCount()
                            + " training images");
        }
        underLock(
                out,
                resume,
                () -> {
                    if (resume != null && !Checkpoint.exists(out)) {
                        System.err.println(
                                "shortrun: note: continuing "
                                        + resume.getDirectory()
                                        + " (iteration "
                                        + resume.getIteration()
                                        + ") in "
                                        + out);
                    }
                    EngineCheck.Report engineCheck = engine.check(model);
                    Map<String, Object> extra = new LinkedHashMap<>();
                    extra.put("data", dataDescription);
                    extra.put("engine_check", engineCheck.toMap());
                    extra.putAll(engine.record(engineCheck));
                    writeConfig(out, model, training, extra);
                    train(evaluateAtStart);
                });
    }

    /** Work done in a run directory under its lock. */
    interface LockedWork {
        void run() throws IOException;
    }

    /**
     * Creates a run directory, takes its lock (taking over a stale one with a note), checks again
     * under the lock that a run may write there ({@link #checkOutput}), and does the work.
     */
    static void underLock(Path out, Checkpoint resume, LockedWork work) throws IOException {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw WriteFailure.of(out, e);
        }
        DirectoryLock lock;
        try {
            lock = DirectoryLock.acquire(out.resolve(LOCK), "--out " + out);
        } catch (IOException e) {
            throw WriteFailure.of(out.resolve(LOCK), e);
        }
        try (lock) {
            if (lock.getStaleOwner() != null) {
                System.err.println(
                        "shortrun: note: "
                                + lock.getStaleOwner()
                                + " ended without releasing "
                                + out.resolve(LOCK)
                                + "; taken over");
            }
            // again under the lock: a run that started meanwhile may have written a checkpoint
            checkOutput(out, resume);
            work.run();
        }
    }

    /** Writes a run's config.json: its settings and what the run records of how it was started. */
    static void writeConfig(
            Path out, LadderConfig model, LearningConfig training, Map<String, Object> extra) {
        Path config = out.resolve("config.json");
        try {
            Files.writeString(
                    config, Checkpoint.configJson(model, training, extra), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw WriteFailure.of(config, e);
        }
    }

    private void train(boolean evaluateAtStart) throws IOException {
        try (TrainingSession session =
                TrainingSession.builder()
                        .setModel(model)
                        .setLearning(training)
                        .setTrainImages(train)
                        .optResume(resume)
                        .optOutput(out)
                        .addListener(new Listener(new ProgressBar(System.err)))
                        .build()) {
            Learner learner = session.learner();
            System.err.printf(
                    "shortrun: %s; %d parameters; %s, %d training images; iterations %d to %d%n",
                    model,
                    learner.getGenerator().countParameters(),
                    dataDescription,
                    train.imageCount(),
                    learner.getIteration(),
                    training.getIterations());
            if (evaluateAtStart) {
                report("start", session);
            }
            try {
                session.train();
            } finally {
                // what was logged so far is drawn even if training stopped early
                drawPlots();
            }
            session.writeSamples(64, out.resolve("samples.png"));
            session.writeReconstructions(test, out.resolve("reconstructions.png"));
            report("end", session);
        }
    }

    /** A plot that cannot be drawn must not hide why training stopped, nor stop a finished run. */
    private void drawPlots() {
        for (String warning : RunPlots.draw(out)) {
            System.err.println("shortrun: warning: " + warning);
        }
    }

    /**
     * The progress bar (also during step-size searches), and a JSON line on standard output per
     * step-size search.
     */
    private record Listener(ProgressBar bar) implements TrainingRun.Listener {
        @Override
        public void onStart(long from, long to) {
            bar.onStart(from, to);
        }

        @Override
        public void onIteration(IterationStats stats) {
            bar.onIteration(stats);
        }

        @Override
        public void onStepSizeEstimate(TrainingRun.StepSizeProgress progress) {
            bar.onStepSizeEstimate(progress);
        }

        @Override
        public void onStepSizeSearch(TrainingRun.StepSizeSearchRecord search) {
            Json.print(search.toEvent());
        }
    }

    private void report(String when, TrainingSession session) {
        Learner learner = session.learner();
        Reconstruction.Error error = session.reconstructionError(test, evalImages);
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "test_reconstruction");
        line.put("when", when);
        line.put("iteration", learner.getIteration());
        line.put("images", error.images());
        line.put("mse", error.mse());
        line.put("mse01", error.mse01());
        Json.print(line);
    }
}
