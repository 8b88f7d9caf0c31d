package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.plot.StepSizePlots;
import org.shortrun.stepsize.LogDeterminant;
import org.shortrun.stepsize.NoiseIntegration;
import org.shortrun.stepsize.StepSizeProblem;
import org.shortrun.stepsize.StepSizeSearch;
import org.shortrun.stepsize.StepSizeStudy;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ProgressBar;
import org.shortrun.training.StepSizeTuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun stepsize}: the variational objective of the Langevin step size over a grid of s
 * (and optionally by gradient descent), for a checkpoint's model on some of its images.
 */
@Command(
        name = "stepsize",
        mixinStandardHelpOptions = true,
        description =
                "Evaluate KL(q_s || p(e|x)) - log p(x) over a grid of step sizes s; prints a JSON"
                        + " line per s and last the minimiser.")
final class StepsizeCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();

    @Mixin Options.Data data = new Options.Data();

    @Option(
            names = "--grid",
            paramLabel = "FROM:TO:STEP|S,S,..",
            description = "Step sizes s to evaluate (default: 0.01:0.15:0.01, the paper's grid).")
    String grid = "0.01:0.15:0.01";

    @Option(
            names = "--select",
            paramLabel = "RULE",
            description =
                    "lowest (the lowest finite estimate, the paper's rule) or admissible (only s"
                            + " where no step's Jacobian has a non-positive eigenvalue, a stability"
                            + " condition) (default: lowest).")
    String select = "lowest";

    @Option(
            names = "--log-det",
            paramLabel = "METHOD",
            description =
                    "exact (central differences of float64 gradients, the reference) or fast"
                            + " (forward differences of float32 gradients, about 20 times cheaper)"
                            + " (default: exact).")
    String logDet = "exact";

    @Option(
            names = "--examples",
            paramLabel = "N",
            description = "Images the objective averages over, from the first (default: 4).")
    int examples = 4;

    @Option(
            names = "--chains",
            paramLabel = "N",
            description = "Langevin chains per image (default: 1).")
    int chains = 1;

    @Option(
            names = "--split",
            paramLabel = "SPLIT",
            description = "train or test images (default: train).")
    Split split = Split.TRAIN;

    @Option(
            names = "--steps",
            paramLabel = "K",
            description = "Langevin steps K (default: the checkpoint's).")
    Integer steps;

    @Option(
            names = "--sigma",
            paramLabel = "SIGMA",
            description = "Observation noise (default: the checkpoint's).")
    Float sigma;

    @Option(
            names = "--gradient",
            description =
                    "Also minimise by gradient descent on log s, starting from --gradient-start.")
    boolean gradient;

    @Option(
            names = "--per-step",
            description =
                    "With --gradient: a step size per Langevin step (the paper's future work).")
    boolean perStep;

    @Option(
            names = "--gradient-start",
            paramLabel = "S",
            description = "Start of the gradient descent (default: 0.05).")
    double gradientStart = 0.05;

    @Option(
            names = "--gradient-iterations",
            paramLabel = "N",
            description = "Gradient steps (default: 20).")
    int gradientIterations = 20;

    @Option(
            names = "--gradient-rate",
            paramLabel = "R",
            description = "Adam's step on log s (default: 0.1).")
    double gradientRate = 0.1;

    @Option(
            names = "--noise-draws",
            paramLabel = "M",
            description =
                    "Integrate the injected noise out of log q with M draws per chain (the paper's"
                        + " eq. 17); the grid then minimises that objective. A few chain"
                        + " evaluations per draw: for small d (default: 0, the noise held fixed).")
    int noiseDraws;

    @Option(
            names = "--noise-proposal",
            paramLabel = "P",
            description =
                    "With --noise-draws: linearised (importance sampling from the chain's"
                            + " linearised posterior of the noise) or prior (the paper's draws; a"
                            + " bracket closing at most log(M+1) nats) (default: linearised).")
    String noiseProposal;

    @Option(
            names = "--plot",
            paramLabel = "PNG",
            description = "Also draw the objective against s to this PNG.")
    java.nio.file.Path plot;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws java.io.IOException {
        double[] values = StepSizeTuning.parseGrid("--grid", grid);
        StepSizeSearch.Selection selection = StepSizeSearch.Selection.parse("--select", select);
        LogDeterminant logDeterminant = LogDeterminant.parse("--log-det", logDet);
        Options.positive("--examples", examples);
        Options.positive("--chains", chains);
        if (gradient) {
            if (!(gradientStart > 0) || !(gradientRate > 0) || gradientIterations <= 0) {
                throw new InputException(
                        "--gradient-start, --gradient-rate and --gradient-iterations must be"
                                + " positive");
            }
        } else if (perStep) {
            throw new InputException("--per-step needs --gradient");
        }
        if (noiseDraws < 0) {
            throw new InputException("--noise-draws must be at least 0, got " + noiseDraws);
        }
        if (noiseDraws > 0 && gradient) {
            throw new InputException(
                    "--noise-draws has no derivative; it cannot be combined with --gradient");
        }
        if (noiseProposal != null && noiseDraws == 0) {
            throw new InputException("--noise-proposal needs --noise-draws M");
        }
        NoiseIntegration.Proposal proposal =
                noiseProposal == null
                        ? NoiseIntegration.Proposal.LINEARISED
                        : NoiseIntegration.Proposal.parse("--noise-proposal", noiseProposal);
        Checkpoint cp = input.read();
        int k =
                Options.positive(
                        "--steps", Options.orElse(steps, cp.getLearningConfig().getSteps()));
        float sg = Options.positive("--sigma", Options.orElse(sigma, cp.getSigma()));
        Datasets source = data.source();
        source.checkModel(cp.getModelConfig());
        engine.start(data.download);
        ImageDataset images = source.load(split, cp.getModelConfig().getImageSize());
        if (images.imageCount() < examples) {
            throw new InputException(
                    "--examples "
                            + examples
                            + " is more than the "
                            + images.imageCount()
                            + " images of "
                            + source.describe());
        }
        engine.check(cp.getModelConfig());
        try (NDManager manager = NDManager.newBaseManager()) {
            StepSizeStudy.Builder study =
                    StepSizeStudy.builder()
                            .setGenerator(cp.loadGenerator(manager))
                            .setImages(images.batch(manager, 0, examples))
                            .setSteps(k)
                            .setSigma(sg)
                            .optChains(chains)
                            .optGrid(values)
                            .optSelection(selection)
                            .optLogDeterminant(logDeterminant)
                            .optSeed(input.seed)
                            .optProgress(
                                    new ProgressBar(System.err, "estimates")
                                            .asProgress("shortrun stepsize: "))
                            .optListener(Json::print)
                            .optSummaryField("iteration", cp.getIteration());
            if (gradient) {
                study.optGradient(gradientStart, gradientIterations, gradientRate, perStep);
            }
            if (noiseDraws > 0) {
                study.optNoiseIntegration(noiseDraws, proposal);
            }
            StepSizeStudy built = study.build();
            System.err.printf(
                    Locale.ROOT,
                    "shortrun stepsize: d = %d, K = %d, %d images x %d chains, %d step sizes%n",
                    built.getDimension(),
                    k,
                    examples,
                    chains,
                    values.length);
            StepSizeStudy.Result result = built.run(manager);
            if (plot != null) {
                JsonArray estimates =
                        Json.tree(
                                        result.grid().trace().stream()
                                                .map(StepSizeProblem.Estimate::toMap)
                                                .toList())
                                .getAsJsonArray();
                StepSizePlots.writeObjective(
                        List.of(StepSizePlots.Curve.of("grid", estimates)), plot);
            }
            Json.print(result.summary());
        }
        return 0;
    }
}
