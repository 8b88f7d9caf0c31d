package org.shortrun.stepsize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Consumer;
import org.shortrun.model.LatentGenerator;

/**
 * A study of the Langevin step size s for a trained generator on some images: the variational
 * objective over a grid of s, optionally a gradient descent on log s, and the choices of both
 * selection rules, as {@code shortrun stepsize} reports them. The objective holds each chain's
 * injected noise fixed, so it estimates KL(q_s || p(e|x)) - log p(x) plus the mutual information
 * between the chain's end and its noise (docs/STEPSIZE.md, "What is estimated").
 *
 * <pre>{@code
 * try (NDManager manager = NDManager.newBaseManager()) {
 *     StepSizeJob.Result r = StepSizeJob.builder()
 *             .setGenerator(checkpoint.loadGenerator(manager))
 *             .setImages(images.batch(manager, 0, 4))
 *             .setSteps(25)
 *             .setSigma(0.15f)
 *             .build()
 *             .run(manager);
 *     System.out.println(r.summary().get("minimiser"));
 * }
 * }</pre>
 */
public final class StepSizeJob {

    /**
     * What a study found.
     *
     * @param grid the grid search (its trace holds every grid estimate, in grid order)
     * @param gradient the gradient descent, or null when none was asked for
     * @param summary the final report: the minimiser under the chosen rule, both rules' choices,
     *     the gradient's result and the settings, ready to print as JSON
     */
    public record Result(
            StepSizeSearch.Result grid,
            StepSizeSearch.Result gradient,
            Map<String, Object> summary) {}

    private final LatentGenerator generator;
    private final NDArray images;
    private final int steps;
    private final float sigma;
    private final int chains;
    private final double[] grid;
    private final StepSizeSearch.Selection selection;
    private final LogDeterminant logDeterminant;
    private final boolean gradient;
    private final double gradientStart;
    private final int gradientIterations;
    private final double gradientRate;
    private final boolean perStep;
    private final long seed;
    private final int noiseDraws;
    private final NoiseIntegration.Proposal proposal;
    private final Progress progress;
    private final Consumer<Map<String, Object>> listener;
    private final Map<String, Object> extra;

    private StepSizeJob(Builder b) {
        generator = b.generator;
        images = b.images;
        steps = b.steps;
        sigma = b.sigma;
        chains = b.chains;
        grid = b.grid;
        selection = b.selection;
        logDeterminant = b.logDeterminant;
        gradient = b.gradient;
        gradientStart = b.gradientStart;
        gradientIterations = b.gradientIterations;
        gradientRate = b.gradientRate;
        perStep = b.perStep;
        seed = b.seed;
        noiseDraws = b.noiseDraws;
        proposal = b.proposal;
        progress = b.progress;
        listener = b.listener;
        extra = new LinkedHashMap<>(b.extra);
    }

    /**
     * Starts a study's settings.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The job in one line for a person.
     *
     * @return e.g. "d = 112, K = 25, 4 images x 1 chains, 15 step sizes"
     */
    public String describe() {
        return "d = "
                + getDimension()
                + ", K = "
                + steps
                + ", "
                + images.getShape().get(0)
                + " images x "
                + chains
                + " chains, "
                + grid.length
                + " step sizes";
    }

    /**
     * The latent dimension d the study's chains live in (all layers together).
     *
     * @return d
     */
    public int getDimension() {
        return generator.getLatentDimension();
    }

    /**
     * Runs the grid search, then the gradient descent if asked for.
     *
     * @param manager the manager the float64 copy of the generator lives under during the run
     * @return the estimates and the summary
     */
    public Result run(NDManager manager) {
        List<NDArray> examples = new ArrayList<>();
        for (int i = 0; i < images.getShape().get(0); i++) {
            examples.add(images.get(i));
        }
        try (StepSizeProblem problem =
                new StepSizeProblem(
                        generator,
                        sigma,
                        examples,
                        chains,
                        steps,
                        new Random(seed),
                        logDeterminant,
                        manager)) {
            if (noiseDraws > 0) {
                // a stream of its own, so that the chains are those of the fixed-noise study
                problem.setNoiseDraws(noiseDraws, proposal, new Random(seed ^ 0x5DEECE66DL));
            }
            if (progress != null) {
                progress.reset("s", grid.length);
            }
            StepSizeSearch.Result onGrid =
                    StepSizeSearch.grid(
                            problem,
                            grid,
                            selection,
                            e -> {
                                listener.accept(line("grid", e));
                                if (progress != null) {
                                    progress.increment(1);
                                }
                            });
            if (progress != null) {
                progress.end();
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("minimiser", onGrid.best() == null ? null : onGrid.best()[0]);
            summary.put(
                    "objective",
                    onGrid.bestEstimate() == null ? null : onGrid.bestEstimate().objective());
            summary.put("rule", selection.label());
            // both rules' choices from the same estimates, so that they can be compared; the
            // admissible one is a diagnostic unless it is the rule in force
            summary.put(
                    "admissible_minimiser",
                    stepSize(
                            StepSizeSearch.lowest(
                                    onGrid.trace(), StepSizeSearch.Selection.ADMISSIBLE)));
            summary.put(
                    "lowest_minimiser",
                    stepSize(
                            StepSizeSearch.lowest(
                                    onGrid.trace(), StepSizeSearch.Selection.LOWEST_FINITE)));
            if (noiseDraws > 0) {
                summary.put("noise_draws", noiseDraws);
                summary.put("noise_proposal", proposal.label());
                summary.put(
                        "fixed_noise_minimiser", fixedNoiseMinimiser(onGrid.trace(), selection));
            }
            StepSizeSearch.Result descent = null;
            if (gradient) {
                double[] start = new double[steps];
                Arrays.fill(start, gradientStart);
                if (progress != null) {
                    progress.reset("gradient", gradientIterations + 1);
                }
                descent =
                        StepSizeSearch.gradient(
                                problem,
                                start,
                                perStep,
                                gradientIterations,
                                gradientRate,
                                selection,
                                e -> {
                                    listener.accept(line("gradient", e));
                                    if (progress != null) {
                                        progress.increment(1);
                                    }
                                });
                if (progress != null) {
                    progress.end();
                }
                summary.put(
                        "gradient_minimiser", descent.best() == null ? null : descent.bestShared());
                summary.put(
                        "gradient_objective",
                        descent.bestEstimate() == null ? null : descent.bestEstimate().objective());
                if (perStep && descent.best() != null) {
                    summary.put("per_step", descent.best());
                }
            }
            summary.put("grid", grid.clone());
            summary.put("examples", examples.size());
            summary.put("chains", chains);
            summary.put("steps", steps);
            summary.put("sigma", sigma);
            summary.put("log_det", logDeterminant.label());
            summary.putAll(extra);
            return new Result(onGrid, descent, summary);
        }
    }

    /**
     * One estimate as a report line: which search made it, then the estimate's fields.
     *
     * @param search {@code grid} or {@code gradient}
     * @param estimate the estimate
     * @return the line's fields, in order
     */
    public static Map<String, Object> line(String search, StepSizeProblem.Estimate estimate) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("search", search);
        m.putAll(estimate.toMap());
        return m;
    }

    /** Where the rule would have chosen on the same chains had the noise been held fixed. */
    private static Double fixedNoiseMinimiser(
            List<StepSizeProblem.Estimate> trace, StepSizeSearch.Selection selection) {
        Double best = null;
        double lowest = Double.POSITIVE_INFINITY;
        for (StepSizeProblem.Estimate e : trace) {
            double fixed =
                    e.noiseIntegrated() == null
                            ? Double.NaN
                            : e.noiseIntegrated().fixedNoiseObjective();
            if (selection.accepts(e) && Double.isFinite(fixed) && fixed < lowest) {
                lowest = fixed;
                best = e.sharedStepSize();
            }
        }
        return best;
    }

    private static Double stepSize(StepSizeProblem.Estimate e) {
        return e == null ? null : e.sharedStepSize();
    }

    /** The settings of a {@link StepSizeJob}. */
    public static final class Builder {
        private LatentGenerator generator;
        private NDArray images;
        private int steps;
        private float sigma;
        private int chains = 1;
        private double[] grid =
                StepSizeTuning.PAPER_GRID.stream().mapToDouble(Double::doubleValue).toArray();
        private StepSizeSearch.Selection selection = StepSizeSearch.Selection.DEFAULT;
        private LogDeterminant logDeterminant = LogDeterminant.EXACT;
        private boolean gradient;
        private double gradientStart;
        private int gradientIterations;
        private double gradientRate;
        private boolean perStep;
        private long seed = 1;
        private int noiseDraws;
        private NoiseIntegration.Proposal proposal;
        private Progress progress;
        private Consumer<Map<String, Object>> listener = m -> {};
        private final Map<String, Object> extra = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Sets the trained generator whose posterior the chains sample.
         *
         * @param generator the generator (copied to float64 for the run)
         * @return this builder
         */
        public Builder setGenerator(LatentGenerator generator) {
            this.generator = generator;
            return this;
        }

        /**
         * Sets the images the objective averages over.
         *
         * @param images {@code [n, c, h, w]} in [-1, 1], at the generator's shape
         * @return this builder
         */
        public Builder setImages(NDArray images) {
            this.images = images;
            return this;
        }

        /**
         * Sets the number of Langevin steps K.
         *
         * @param steps K, positive
         * @return this builder
         */
        public Builder setSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets the observation noise sigma.
         *
         * @param sigma positive
         * @return this builder
         */
        public Builder setSigma(float sigma) {
            this.sigma = sigma;
            return this;
        }

        /**
         * Sets the chains per image (default 1).
         *
         * @param chains positive
         * @return this builder
         */
        public Builder optChains(int chains) {
            this.chains = chains;
            return this;
        }

        /**
         * Sets the grid of s (default: the paper's, 0.01 to 0.15 by 0.01).
         *
         * @param grid positive step sizes; see {@link
         *     org.shortrun.stepsize.StepSizeTuning#parseGrid}
         * @return this builder
         */
        public Builder optGrid(double[] grid) {
            this.grid = grid.clone();
            return this;
        }

        /**
         * Sets which estimates may be chosen (default: the lowest finite one, as the paper).
         *
         * @param selection the rule
         * @return this builder
         */
        public Builder optSelection(StepSizeSearch.Selection selection) {
            this.selection = Objects.requireNonNull(selection, "selection");
            return this;
        }

        /**
         * Sets how each step's log|det| is obtained (default: {@link LogDeterminant#EXACT}, the
         * reference; {@link LogDeterminant#FAST} is about 20 times cheaper, see docs/STEPSIZE.md).
         *
         * @param logDeterminant the method
         * @return this builder
         */
        public Builder optLogDeterminant(LogDeterminant logDeterminant) {
            this.logDeterminant = Objects.requireNonNull(logDeterminant, "logDeterminant");
            return this;
        }

        /**
         * Adds a gradient descent on log s after the grid.
         *
         * @param start the s it starts from, positive
         * @param iterations gradient steps, positive
         * @param rate Adam's step on log s, positive
         * @param perStep a step size per Langevin step instead of one shared
         * @return this builder
         */
        public Builder optGradient(double start, int iterations, double rate, boolean perStep) {
            this.gradient = true;
            this.gradientStart = start;
            this.gradientIterations = iterations;
            this.gradientRate = rate;
            this.perStep = perStep;
            return this;
        }

        /**
         * Sets the seed of the chains' noise (default 1).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Integrates the injected noise out of log q with M draws per chain ({@link
         * NoiseIntegration}); the grid then minimises the noise-integrated objective, and the
         * summary also gives the fixed-noise choice. Each draw costs a few chain evaluations: meant
         * for small d. Not with a gradient descent (there is no derivative).
         *
         * @param draws M, positive (0: the fixed-noise objective, the default)
         * @param proposal where the draws come from; null for the linearised one
         * @return this builder
         */
        public Builder optNoiseIntegration(int draws, NoiseIntegration.Proposal proposal) {
            this.noiseDraws = draws;
            this.proposal = proposal;
            return this;
        }

        /**
         * Sets a progress callback, advanced once per grid point ({@code reset("s", points)}), then
         * once per gradient iteration ({@code reset("gradient", iterations + 1)}).
         *
         * @param progress the callback
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Sets a listener given each estimate's report line (see {@link #line}) as it is made.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optListener(Consumer<Map<String, Object>> listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Appends a field to the summary, after the settings (for example the checkpoint's
         * iteration).
         *
         * @param key the field's name
         * @param value its value
         * @return this builder
         */
        public Builder optSummaryField(String key, Object value) {
            extra.put(key, value);
            return this;
        }

        /**
         * Checks the settings.
         *
         * @return the study
         * @throws IllegalArgumentException naming the first setting out of range
         */
        public StepSizeJob build() {
            Objects.requireNonNull(generator, "generator");
            Objects.requireNonNull(images, "images");
            if (images.getShape().dimension() != 4 || images.getShape().get(0) == 0) {
                throw new IllegalArgumentException(
                        "images must be a non-empty [n, c, h, w] batch, got " + images.getShape());
            }
            if (steps <= 0 || !(sigma > 0) || chains <= 0) {
                throw new IllegalArgumentException(
                        "steps, sigma and chains must be positive, got "
                                + steps
                                + ", "
                                + sigma
                                + " and "
                                + chains);
            }
            if (grid.length == 0) {
                throw new IllegalArgumentException("the grid is empty");
            }
            for (double s : grid) {
                if (!(s > 0) || Double.isInfinite(s)) {
                    throw new IllegalArgumentException(
                            "every step size of the grid must be positive, got " + s);
                }
            }
            if (gradient
                    && (!(gradientStart > 0) || !(gradientRate > 0) || gradientIterations <= 0)) {
                throw new IllegalArgumentException(
                        "the gradient's start, rate and iterations must be positive");
            }
            if (noiseDraws == 0 && proposal != null) {
                throw new IllegalArgumentException("a noise proposal needs noise draws");
            }
            if (proposal == null) {
                proposal = NoiseIntegration.Proposal.LINEARISED;
            }
            if (noiseDraws < 0) {
                throw new IllegalArgumentException(
                        "noise draws must be at least 0, got " + noiseDraws);
            }
            if (noiseDraws > 0 && gradient) {
                throw new IllegalArgumentException(
                        "the noise-integrated objective has no derivative: no gradient descent with"
                                + " noise draws");
            }
            return new StepSizeJob(this);
        }
    }
}
