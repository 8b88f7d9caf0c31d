package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.plot.StepSizePlots;
import org.shortrun.inference.Langevin;
import org.shortrun.stepsize.LogDeterminant;
import org.shortrun.stepsize.NoiseIntegration;
import org.shortrun.stepsize.StepSizeJob;
import org.shortrun.stepsize.StepSizeSearch;
import org.shortrun.stepsize.StepSizeTuning;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun stepsize}: the variational step-size objective of a checkpoint, per s. */
@Command(name = "stepsize", mixinStandardHelpOptions = true, showDefaultValues = true)
final class StepsizeCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();
    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--grid", paramLabel = "FROM:TO:STEP|S,S,..")
    String grid = "0.01:0.15:0.01";

    @Option(names = "--select", paramLabel = "RULE")
    String select = "lowest";

    @Option(names = "--log-det", paramLabel = "METHOD")
    LogDeterminant logDet = LogDeterminant.EXACT;

    @Option(names = "--examples", paramLabel = "N")
    int examples = 4;

    @Option(names = "--chains", paramLabel = "N")
    int chains = 1;

    @Option(names = "--split", paramLabel = "SPLIT")
    Split split = Split.TRAIN;

    @Option(names = "--steps", paramLabel = "K")
    Integer steps;

    @Option(names = "--sigma", paramLabel = "SIGMA")
    Float sigma;

    @Option(names = "--gradient")
    boolean gradient;

    @Option(names = "--per-step")
    boolean perStep;

    @Option(names = "--gradient-start", paramLabel = "S")
    double gradientStart = 0.05;

    @Option(names = "--gradient-iterations", paramLabel = "N")
    int gradientIterations = 20;

    @Option(names = "--gradient-rate", paramLabel = "R")
    double gradientRate = 0.1;

    @Option(names = "--noise-draws", paramLabel = "M")
    int noiseDraws;

    @Option(names = "--noise-proposal", paramLabel = "P")
    NoiseIntegration.Proposal noiseProposal;

    @Option(names = "--plot", paramLabel = "PNG")
    Path plot;

    @Override
    public Integer call() throws IOException {
        if (perStep && !gradient) {
            throw new InputException("--per-step needs --gradient");
        }
        double[] values = StepSizeTuning.parseGrid("--grid", grid);
        Checkpoint cp = input.read();
        Langevin trained = cp.getLangevin();
        if (trained == null && steps == null) {
            throw new InputException(
                    cp.getLearningConfig().getMethod().getName()
                            + " has no Langevin steps; give --steps");
        }
        int k = steps != null ? steps : trained.getSteps();
        ImageDataset images = data.source().load(split, cp.getImageShape());
        engine.start(data.download);
        if (examples < 1 || images.imageCount() < examples) {
            throw new InputException(
                    "--examples " + examples + " must be between 1 and the image count");
        }
        try (NDManager manager = NDManager.newBaseManager(engine.device())) {
            StepSizeJob.Builder job =
                    StepSizeJob.builder()
                            .setGenerator(cp.loadGenerator(manager))
                            .setImages(images.batch(manager, 0, examples))
                            .setSteps(k)
                            .setSigma(sigma != null ? sigma : cp.getSigma())
                            .optChains(chains)
                            .optGrid(values)
                            .optSelection(StepSizeSearch.Selection.parse("--select", select))
                            .optLogDeterminant(logDet)
                            .optSeed(input.seed)
                            .optProgress(new ProgressBar(System.err, "estimates").asProgress())
                            .optListener(Json::print)
                            .optSummaryField("iteration", cp.getIteration());
            if (gradient) {
                job.optGradient(gradientStart, gradientIterations, gradientRate, perStep);
            }
            job.optNoiseIntegration(noiseDraws, noiseProposal);
            StepSizeJob built = Options.inputError(job::build);
            engine.check(cp.newGenerator());
            System.err.println("shortrun stepsize: " + built.describe());
            StepSizeJob.Result result = built.run(manager);
            if (plot != null) {
                StepSizePlots.writeObjective(result.grid(), plot);
            }
            Json.print(result.summary());
        }
        return 0;
    }
}
