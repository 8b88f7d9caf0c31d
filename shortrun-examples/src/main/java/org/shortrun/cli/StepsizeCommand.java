package org.shortrun.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonArray;

import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.plot.StepSizePlots;
import org.shortrun.model.LadderGenerator;
import org.shortrun.stepsize.StepSizeProblem;
import org.shortrun.stepsize.StepSizeSearch;
import org.shortrun.training.Checkpoint;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code shortrun stepsize}: the variational objective of the Langevin step size over a grid of
 * s (and optionally by gradient descent), for a checkpoint's model on some of its images.
 */
@Command(
        name = "stepsize",
        mixinStandardHelpOptions = true,
        description = "Evaluate KL(q_s || p(e|x)) - log p(x) over a grid of step sizes s; prints a JSON line per s and last the minimiser.")
final class StepsizeCommand implements Callable<Integer> {

    @Mixin Options.CheckpointInput input = new Options.CheckpointInput();

    @Mixin Options.Data data = new Options.Data();

    @Option(names = "--grid", paramLabel = "FROM:TO:STEP|S,S,..", description = "Step sizes s to evaluate (default: 0.01:0.15:0.01, the paper's grid).")
    String grid = "0.01:0.15:0.01";

    @Option(names = "--select", paramLabel = "RULE", description = "admissible (s where the Langevin map does not fold) or lowest (any finite estimate, as the paper) (default: admissible).")
    String select = "admissible";

    @Option(names = "--examples", paramLabel = "N", description = "Images the objective averages over, from the first (default: 4).")
    int examples = 4;

    @Option(names = "--chains", paramLabel = "N", description = "Langevin chains per image (default: 1).")
    int chains = 1;

    @Option(names = "--split", paramLabel = "SPLIT", description = "train or test images (default: train).")
    Split split = Split.TRAIN;

    @Option(names = "--steps", paramLabel = "K", description = "Langevin steps K (default: the checkpoint's).")
    Integer steps;

    @Option(names = "--sigma", paramLabel = "SIGMA", description = "Observation noise (default: the checkpoint's).")
    Float sigma;

    @Option(names = "--gradient", description = "Also minimise by gradient descent on log s, starting from --gradient-start.")
    boolean gradient;

    @Option(names = "--per-step", description = "With --gradient: a step size per Langevin step (the paper's future work).")
    boolean perStep;

    @Option(names = "--gradient-start", paramLabel = "S", description = "Start of the gradient descent (default: 0.05).")
    double gradientStart = 0.05;

    @Option(names = "--gradient-iterations", paramLabel = "N", description = "Gradient steps (default: 20).")
    int gradientIterations = 20;

    @Option(names = "--gradient-rate", paramLabel = "R", description = "Adam's step on log s (default: 0.1).")
    double gradientRate = 0.1;

    @Option(names = "--plot", paramLabel = "PNG", description = "Also draw the objective against s to this PNG.")
    java.nio.file.Path plot;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws java.io.IOException {
        double[] values = parseGrid("--grid", grid);
        StepSizeSearch.Selection selection = Options.selection("--select", select);
        Options.positive("--examples", examples);
        Options.positive("--chains", chains);
        if (gradient) {
            if (!(gradientStart > 0) || !(gradientRate > 0) || gradientIterations <= 0) {
                throw new InputException("--gradient-start, --gradient-rate and --gradient-iterations must be positive");
            }
        } else if (perStep) {
            throw new InputException("--per-step needs --gradient");
        }
        Checkpoint cp = input.read();
        int k = Options.positive("--steps", Options.orElse(steps, cp.getLearningConfig().getSteps()));
        float sg = Options.positive("--sigma", Options.orElse(sigma, (float) cp.getLearningConfig().sigma().valueAt(cp.getIteration())));
        data.validate();
        data.checkModel(cp.getModelConfig());
        engine.start(data.download);
        ImageDataset images = data.load(split, cp.getModelConfig().getImageSize());
        if (images.imageCount() < examples) {
            throw new InputException("--examples " + examples + " is more than the " + images.imageCount() + " images of " + data.describe());
        }
        engine.check(cp.getModelConfig());
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator generator = cp.loadGenerator(manager);
            NDArray batch = images.batch(manager, 0, examples);
            List<NDArray> list = new ArrayList<>();
            for (int i = 0; i < examples; i++) {
                list.add(batch.get(i));
            }
            try (StepSizeProblem problem = new StepSizeProblem(generator, sg, list, chains, k, new Random(input.seed), manager)) {
                System.err.printf(
                        Locale.ROOT, "shortrun stepsize: d = %d, K = %d, %d images x %d chains, %d step sizes%n", problem.getDimension(), k, examples, chains, values.length);
                ProgressBar bar = new ProgressBar(System.err, "s");
                bar.start(values.length);
                int[] done = {0};
                StepSizeSearch.Result onGrid =
                        StepSizeSearch.grid(problem, values, selection, e -> {
                            Json.print(line("grid", e));
                            bar.advance(++done[0], "");
                        });
                if (plot != null) {
                    JsonArray estimates = Json.tree(onGrid.trace().stream().map(StepSizeProblem.Estimate::toMap).toList()).getAsJsonArray();
                    StepSizePlots.writeObjective(List.of(StepSizePlots.Curve.of("grid", estimates)), plot);
                }
                Map<String, Object> last = new LinkedHashMap<>();
                last.put("minimiser", onGrid.best() == null ? null : onGrid.best()[0]);
                last.put("objective", onGrid.bestEstimate() == null ? null : onGrid.bestEstimate().objective());
                last.put("select", select);
                // both rules' choices from the same estimates, so that they can be compared
                last.put("admissible_minimiser", stepSize(StepSizeSearch.lowest(onGrid.trace(), StepSizeSearch.Selection.ADMISSIBLE)));
                last.put("lowest_minimiser", stepSize(StepSizeSearch.lowest(onGrid.trace(), StepSizeSearch.Selection.LOWEST_FINITE)));
                if (gradient) {
                    double[] start = new double[k];
                    Arrays.fill(start, gradientStart);
                    StepSizeSearch.Result descent =
                            StepSizeSearch.gradient(
                                    problem, start, perStep, gradientIterations, gradientRate, selection, e -> Json.print(line("gradient", e)));
                    last.put("gradient_minimiser", descent.best() == null ? null : descent.bestShared());
                    last.put("gradient_objective", descent.bestEstimate() == null ? null : descent.bestEstimate().objective());
                    if (perStep && descent.best() != null) {
                        last.put("per_step", descent.best());
                    }
                }
                last.put("grid", values);
                last.put("examples", examples);
                last.put("chains", chains);
                last.put("steps", k);
                last.put("sigma", sg);
                last.put("iteration", cp.getIteration());
                Json.print(last);
            }
        }
        return 0;
    }

    private static Double stepSize(StepSizeProblem.Estimate e) {
        return e == null ? null : e.sharedStepSize();
    }

    static Map<String, Object> line(String search, StepSizeProblem.Estimate e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("search", search);
        m.putAll(e.toMap());
        return m;
    }

    /** Parses FROM:TO:STEP (inclusive, with a tolerance for round-off) or a comma-separated list. */
    static double[] parseGrid(String option, String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new InputException(option + " is empty: give FROM:TO:STEP or a list such as 0.02,0.05");
        }
        double[] values;
        try {
            if (t.contains(":")) {
                String[] p = t.split(":", -1);
                if (p.length != 3) {
                    throw new InputException(option + " '" + text + "': FROM:TO:STEP has three parts");
                }
                double from = Double.parseDouble(p[0]);
                double to = Double.parseDouble(p[1]);
                double step = Double.parseDouble(p[2]);
                if (!(step > 0) || to < from) {
                    throw new InputException(option + " '" + text + "': STEP must be positive and TO at least FROM");
                }
                int n = (int) Math.floor((to - from) / step + 1e-9) + 1;
                if (n > 10_000) {
                    throw new InputException(option + " '" + text + "' has " + n + " points; at most 10000");
                }
                values = new double[n];
                for (int i = 0; i < n; i++) {
                    // rounded so that 0.01:0.15:0.01 prints as 0.03, not 0.030000000000000002
                    values[i] = Math.round((from + i * step) * 1e12) / 1e12;
                }
            } else {
                values = Arrays.stream(t.split(",", -1)).map(String::trim).mapToDouble(Double::parseDouble).toArray();
            }
        } catch (NumberFormatException e) {
            throw new InputException(option + " '" + text + "' is not FROM:TO:STEP or a list of numbers", e);
        }
        for (double v : values) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new InputException(option + ": every s must be positive, got " + v);
            }
        }
        return values;
    }
}
