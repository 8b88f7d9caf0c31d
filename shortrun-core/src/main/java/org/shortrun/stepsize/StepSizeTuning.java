package org.shortrun.stepsize;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.shortrun.InputException;

/**
 * When and how a run re-optimises its Langevin step size s by the variational objective (the
 * paper's section 4.5): every {@code every} iterations, starting at iteration 0, on {@code
 * examples} training images with {@code chains} chains each; with {@code perStep}, a size per
 * Langevin step, s_1..s_K, by gradient descent.
 *
 * @param every iterations between searches
 * @param search grid search or gradient descent on log s
 * @param perStep whether gradient descent tunes each step's s_k on its own, from the current
 *     s_1..s_K, instead of one s shared by all (false in checkpoints written before the choice)
 * @param grid the grid's step sizes (used by {@link Search#GRID})
 * @param examples training images per search, drawn afresh each time from the run's seed
 * @param chains chains per image
 * @param gradientIterations gradient steps (used by {@link Search#GRADIENT}, from the current s)
 * @param gradientRate Adam's step on log s
 * @param selection which estimates a search may choose (null, as in checkpoints written before the
 *     choice existed: admissible ones, the rule those runs used)
 * @param logDeterminant how the objective's log|det| is obtained (null: exact)
 */
public record StepSizeTuning(
        long every,
        Search search,
        boolean perStep,
        List<Double> grid,
        int examples,
        int chains,
        int gradientIterations,
        double gradientRate,
        StepSizeSearch.Selection selection,
        LogDeterminant logDeterminant) {

    /** The search used at each re-optimisation. */
    public enum Search {
        /** Evaluate every s of the grid and take the minimiser. */
        GRID,
        /** Gradient descent on log s from the current s. */
        GRADIENT
    }

    /** The paper's grid, 0.01 to 0.15 by 0.01. */
    public static final List<Double> PAPER_GRID =
            List.of(
                    0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.13,
                    0.14, 0.15);

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first value out of range
     */
    public StepSizeTuning {
        Objects.requireNonNull(search, "search");
        // absent from checkpoints written before the choice existed
        selection = selection == null ? StepSizeSearch.Selection.ADMISSIBLE : selection;
        logDeterminant = logDeterminant == null ? LogDeterminant.EXACT : logDeterminant;
        grid = List.copyOf(Objects.requireNonNull(grid, "grid"));
        if (every <= 0) {
            throw new IllegalArgumentException(
                    "the step-size interval must be positive, got " + every);
        }
        if (search == Search.GRID && grid.isEmpty()) {
            throw new IllegalArgumentException("the step-size grid is empty");
        }
        for (double s : grid) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException(
                        "every step size of the grid must be positive, got " + s);
            }
        }
        if (examples <= 0 || chains <= 0) {
            throw new IllegalArgumentException(
                    "step-size examples and chains must be positive, got "
                            + examples
                            + " and "
                            + chains);
        }
        if (search == Search.GRADIENT && (gradientIterations <= 0 || !(gradientRate > 0))) {
            throw new IllegalArgumentException(
                    "gradient iterations and rate must be positive, got "
                            + gradientIterations
                            + " and "
                            + gradientRate);
        }
        if (perStep && search != Search.GRADIENT) {
            throw new IllegalArgumentException(
                    "per-step sizes are tuned by gradient descent only; the grid searches one s"
                            + " shared by all steps");
        }
    }

    /**
     * Settings with one s shared by all steps.
     *
     * @param every iterations between searches
     * @param search grid search or gradient descent on log s
     * @param grid the grid's step sizes (used by {@link Search#GRID})
     * @param examples training images per search
     * @param chains chains per image
     * @param gradientIterations gradient steps (used by {@link Search#GRADIENT})
     * @param gradientRate Adam's step on log s
     * @param selection which estimates a search may choose (null: admissible, as checkpoints
     *     written before the choice searched)
     */
    public StepSizeTuning(
            long every,
            Search search,
            List<Double> grid,
            int examples,
            int chains,
            int gradientIterations,
            double gradientRate,
            StepSizeSearch.Selection selection) {
        this(
                every,
                search,
                false,
                grid,
                examples,
                chains,
                gradientIterations,
                gradientRate,
                selection,
                LogDeterminant.EXACT);
    }

    /**
     * A grid search every {@code every} iterations on the paper's grid, 4 images, 1 chain each,
     * taking the lowest finite estimate as the paper does.
     *
     * @param every iterations between searches
     * @return the settings
     */
    public static StepSizeTuning gridEvery(long every) {
        return new StepSizeTuning(
                every, Search.GRID, PAPER_GRID, 4, 1, 10, 0.1, StepSizeSearch.Selection.DEFAULT);
    }

    /**
     * Settings given one by one, as {@code train --step-size-*} gives them, over a run's own: each
     * null leaves the base's value, and without a base and without {@code every} there is no tuning
     * at all.
     *
     * @param base the resumed run's tuning, or null
     * @param every T_s, or null
     * @param search "grid" or "gradient", or null
     * @param perStep true for a size per Langevin step (gradient search only), or null
     * @param grid the grid as {@link #parseGrid} reads it, or null
     * @param examples training images per search, or null
     * @param chains chains per image, or null
     * @param gradientIterations gradient steps per search, or null
     * @param gradientRate Adam's step on log s, or null
     * @param selection "lowest" or "admissible", or null
     * @param logDeterminant "exact" or "fast", or null
     * @return the tuning, or null if s stays fixed
     * @throws InputException naming the {@code --step-size-*} option at fault
     */
    public static StepSizeTuning overriding(
            StepSizeTuning base,
            Long every,
            String search,
            Boolean perStep,
            String grid,
            Integer examples,
            Integer chains,
            Integer gradientIterations,
            Double gradientRate,
            String selection,
            String logDeterminant) {
        if (every == null && base == null) {
            if (search != null
                    || perStep != null
                    || selection != null
                    || logDeterminant != null
                    || grid != null
                    || examples != null
                    || chains != null
                    || gradientIterations != null
                    || gradientRate != null) {
                throw new InputException("the --step-size-* options need --step-size-every T");
            }
            return null;
        }
        StepSizeTuning d = base != null ? base : gridEvery(1);
        Search kind = d.search();
        if (search != null) {
            kind =
                    switch (search) {
                        case "grid" -> Search.GRID;
                        case "gradient" -> Search.GRADIENT;
                        default ->
                                throw new InputException(
                                        "--step-size-search must be grid or gradient, got '"
                                                + search
                                                + "'");
                    };
        }
        boolean eachStep = perStep != null ? perStep : d.perStep();
        if (eachStep && kind != Search.GRADIENT) {
            String who =
                    perStep != null
                            ? "--step-size-per-step"
                            : "the resumed run tunes per-step sizes, which";
            throw new InputException(
                    who
                            + " needs --step-size-search gradient: the grid searches one s shared"
                            + " by all steps");
        }
        try {
            return new StepSizeTuning(
                    every != null ? every : d.every(),
                    kind,
                    eachStep,
                    grid == null
                            ? d.grid()
                            : Arrays.stream(parseGrid("--step-size-grid", grid)).boxed().toList(),
                    examples != null ? examples : d.examples(),
                    chains != null ? chains : d.chains(),
                    gradientIterations != null ? gradientIterations : d.gradientIterations(),
                    gradientRate != null ? gradientRate : d.gradientRate(),
                    selection == null
                            ? d.selection()
                            : StepSizeSearch.Selection.parse("--step-size-select", selection),
                    logDeterminant == null
                            ? d.logDeterminant()
                            : LogDeterminant.parse("--step-size-log-det", logDeterminant));
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
    }

    /**
     * Whether a search runs before the given iteration.
     *
     * @param iteration iterations done so far
     * @return true at 0, every, 2 every, ...
     */
    public boolean isDue(long iteration) {
        return iteration % every == 0;
    }

    /**
     * Parses a grid of step sizes: FROM:TO:STEP (inclusive, with a tolerance for round-off) or a
     * comma-separated list.
     *
     * @param option the option or setting the text came from, which every message names
     * @param text the grid as written
     * @return the step sizes, each positive and finite
     * @throws InputException if the text is no grid, or holds a step size that is not positive
     */
    public static double[] parseGrid(String option, String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new InputException(
                    option + " is empty: give FROM:TO:STEP or a list such as 0.02,0.05");
        }
        double[] values;
        try {
            if (t.contains(":")) {
                String[] p = t.split(":", -1);
                if (p.length != 3) {
                    throw new InputException(
                            option + " '" + text + "': FROM:TO:STEP has three parts");
                }
                double from = Double.parseDouble(p[0]);
                double to = Double.parseDouble(p[1]);
                double step = Double.parseDouble(p[2]);
                if (!(step > 0) || to < from) {
                    throw new InputException(
                            option + " '" + text + "': STEP must be positive and TO at least FROM");
                }
                int n = (int) Math.floor((to - from) / step + 1e-9) + 1;
                if (n > 10_000) {
                    throw new InputException(
                            option + " '" + text + "' has " + n + " points; at most 10000");
                }
                values = new double[n];
                for (int i = 0; i < n; i++) {
                    // rounded so that 0.01:0.15:0.01 prints as 0.03, not 0.030000000000000002
                    values[i] = Math.round((from + i * step) * 1e12) / 1e12;
                }
            } else {
                values =
                        Arrays.stream(t.split(",", -1))
                                .map(String::trim)
                                .mapToDouble(Double::parseDouble)
                                .toArray();
            }
        } catch (NumberFormatException e) {
            throw new InputException(
                    option + " '" + text + "' is not FROM:TO:STEP or a list of numbers", e);
        }
        for (double v : values) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new InputException(option + ": every s must be positive, got " + v);
            }
        }
        return values;
    }
}
