package org.shortrun.eval.plot;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.shortrun.stepsize.StepSizeProblem;
import org.shortrun.stepsize.StepSizeSearch;
import org.shortrun.training.TrainingJob;

/**
 * The paper's Fig. 6 for a run: the chosen step size over the iterations (a, b), and the objective
 * against s at a few of the searches (c), drawn from the run's stepsize.jsonl. For a run that tunes
 * a size per step, the first shows every s_k over the iterations, and a third plot shows s_k
 * against k at a few of the searches.
 */
public final class StepSizePlots {

    /** The plot of s over iterations. */
    public static final String OVER_ITERATIONS = "stepsize.png";

    /** The plot of the objective against s. */
    public static final String OBJECTIVE = "stepsize-objective.png";

    /** The plot of s_k against the step k, for runs that tune per-step sizes. */
    public static final String PER_STEP = "stepsize-per-step.png";

    private static final int WIDTH = 720;
    private static final int HEIGHT = 450;

    /**
     * The finite estimates of one search, in increasing s.
     *
     * @param label the legend's text
     * @param s the step sizes
     * @param objective the objective at each
     * @param admissible whether each is admissible
     */
    public record Curve(String label, double[] s, double[] objective, boolean[] admissible) {

        /**
         * The curve of estimates in their JSON form ({@code Estimate.toMap}), as stepsize.jsonl
         * holds them; estimates without a finite objective are left out, and per-step sizes are
         * placed at their mean.
         *
         * @param label the legend's text
         * @param estimates the search's estimates
         * @return the curve, in increasing s
         */
        public static Curve of(String label, JsonArray estimates) {
            List<JsonObject> points = new ArrayList<>();
            for (JsonElement e : estimates) {
                JsonObject o = e.getAsJsonObject();
                if (o.has("objective") && !o.get("objective").isJsonNull()) {
                    points.add(o);
                }
            }
            points.sort(Comparator.comparingDouble(o -> meanStepSize(o.get("s"))));
            boolean[] admissible = new boolean[points.size()];
            for (int i = 0; i < admissible.length; i++) {
                admissible[i] = points.get(i).get("admissible").getAsBoolean();
            }
            return new Curve(
                    label,
                    points.stream().mapToDouble(o -> meanStepSize(o.get("s"))).toArray(),
                    points.stream().mapToDouble(o -> o.get("objective").getAsDouble()).toArray(),
                    admissible);
        }
    }

    private StepSizePlots() {}

    /** s itself, or the mean of s_1..s_K where an estimate holds one per step. */
    private static double meanStepSize(JsonElement s) {
        if (!s.isJsonArray()) {
            return s.getAsDouble();
        }
        double sum = 0;
        for (JsonElement v : s.getAsJsonArray()) {
            sum += v.getAsDouble();
        }
        return sum / s.getAsJsonArray().size();
    }

    private static double[] doubles(JsonArray values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).getAsDouble();
        }
        return out;
    }

    /**
     * Writes the plots into a run directory, if it logged any step-size search: both, and for
     * per-step sizes the third.
     *
     * @param run the run directory
     * @param curves how many searches the objective and per-step plots show at most, spread from
     *     first to last
     * @return the files written
     * @throws IOException if the log cannot be read or a plot written
     */
    public static List<Path> write(Path run, int curves) throws IOException {
        Path log = run.resolve(TrainingJob.STEP_SIZE_LOG);
        List<JsonObject> searches = new ArrayList<>();
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    searches.add(JsonParser.parseString(line).getAsJsonObject());
                }
            }
        }
        if (searches.isEmpty()) {
            return List.of();
        }
        double[] iterations =
                searches.stream().mapToDouble(o -> o.get("iteration").getAsDouble()).toArray();
        double[] chosen =
                searches.stream().mapToDouble(o -> o.get("chosen").getAsDouble()).toArray();
        long end = lastIteration(run.resolve("metrics.csv"));
        if (end > iterations[iterations.length - 1]) {
            // the last s holds to the end of the run
            iterations = Arrays.copyOf(iterations, iterations.length + 1);
            chosen = Arrays.copyOf(chosen, chosen.length + 1);
            iterations[iterations.length - 1] = end;
            chosen[chosen.length - 1] = chosen[chosen.length - 2];
        }
        Path over = run.resolve(OVER_ITERATIONS);
        boolean perStep = searches.stream().anyMatch(o -> o.has("chosen_per_step"));
        double[][] perStepChosen = null;
        if (perStep) {
            perStepChosen = new double[iterations.length][];
            for (int i = 0; i < searches.size(); i++) {
                JsonObject o = searches.get(i);
                perStepChosen[i] =
                        o.has("chosen_per_step")
                                ? doubles(o.getAsJsonArray("chosen_per_step"))
                                : null;
            }
            if (iterations.length > searches.size()) {
                perStepChosen[iterations.length - 1] = perStepChosen[iterations.length - 2];
            }
            writePerStepOverIterations(iterations, perStepChosen, over);
        } else {
            writeOverIterations(iterations, chosen, over);
        }

        List<Curve> shown = new ArrayList<>();
        List<Integer> spread = spread(searches.size(), curves);
        for (int index : spread) {
            JsonObject search = searches.get(index);
            Curve c =
                    Curve.of(
                            "iteration " + search.get("iteration").getAsLong(),
                            search.getAsJsonArray("estimates"));
            if (c.s().length > 0 && shown.stream().noneMatch(x -> x.label().equals(c.label()))) {
                shown.add(c);
            }
        }
        Path objective = run.resolve(OBJECTIVE);
        writeObjective(shown, objective, perStep ? "mean of s_1..s_K" : "s");
        if (!perStep) {
            return List.of(over, objective);
        }
        List<String> labels = new ArrayList<>();
        List<double[]> schedules = new ArrayList<>();
        for (int index : spread) {
            JsonObject search = searches.get(index);
            if (search.has("chosen_per_step")) {
                labels.add("after the search at iteration " + search.get("iteration").getAsLong());
                schedules.add(doubles(search.getAsJsonArray("chosen_per_step")));
            }
        }
        Path schedule = run.resolve(PER_STEP);
        writePerStep(labels, schedules, schedule);
        return List.of(over, objective, schedule);
    }

    /**
     * Up to {@code count} indices of {@code n}, spread evenly from the first to the last, without
     * repeats.
     */
    private static List<Integer> spread(int n, int count) {
        List<Integer> indices = new ArrayList<>();
        int shown = Math.min(count, n);
        for (int i = 0; i < shown; i++) {
            int index = shown == 1 ? n - 1 : (int) Math.round(i * (n - 1) / (double) (shown - 1));
            if (!indices.contains(index)) {
                indices.add(index);
            }
        }
        return indices;
    }

    private static long lastIteration(Path metrics) throws IOException {
        if (!Files.exists(metrics)) {
            return -1;
        }
        List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i > 0; i--) {
            String line = lines.get(i);
            int comma = line.indexOf(',');
            if (comma > 0) {
                try {
                    return Long.parseLong(line.substring(0, comma));
                } catch (NumberFormatException e) {
                    // a line cut short; try the one before
                }
            }
        }
        return -1;
    }

    /**
     * Writes the chosen step size over the iterations as a step line.
     *
     * @param iterations the iterations at which s was chosen
     * @param chosen the s chosen at each
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public static void writeOverIterations(double[] iterations, double[] chosen, Path png)
            throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title("Step size chosen by the variational objective")
                        .xAxisTitle("iteration")
                        .yAxisTitle("s")
                        .build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setYAxisMin(0.0);
        XYSeries series = chart.addSeries("s", iterations, chosen);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        series.setMarker(SeriesMarkers.CIRCLE);
        save(chart, png);
    }

    /**
     * Writes each step's size s_k over the iterations, one step line per k, as {@link
     * #writeOverIterations} draws a shared s.
     *
     * @param iterations the iterations at which the sizes were chosen
     * @param chosen s_1..s_K chosen at each (a row of K per iteration; a null row is skipped)
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public static void writePerStepOverIterations(double[] iterations, double[][] chosen, Path png)
            throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title("Per-step sizes chosen by the variational objective")
                        .xAxisTitle("iteration")
                        .yAxisTitle("s_k")
                        .build();
        chart.getStyler().setYAxisMin(0.0);
        List<Double> xs = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < iterations.length; i++) {
            if (chosen[i] != null) {
                xs.add(iterations[i]);
                rows.add(chosen[i]);
            }
        }
        int steps = rows.isEmpty() ? 0 : rows.get(0).length;
        for (int k = 0; k < steps; k++) {
            List<Double> ys = new ArrayList<>();
            for (double[] row : rows) {
                ys.add(row[k]);
            }
            XYSeries series = chart.addSeries("s_" + (k + 1), xs, ys);
            series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
            series.setMarker(SeriesMarkers.NONE);
        }
        if (steps == 0) {
            chart.setTitle("no per-step sizes were logged");
            chart.addSeries("none", new double[] {0}, new double[] {0});
        }
        save(chart, png);
    }

    /**
     * Writes s_k against the step k, one line per search.
     *
     * @param labels the legend's text per search
     * @param schedules s_1..s_K per search
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public static void writePerStep(List<String> labels, List<double[]> schedules, Path png)
            throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title("Per-step sizes s_k against the step k")
                        .xAxisTitle("Langevin step k")
                        .yAxisTitle("s_k")
                        .build();
        chart.getStyler().setYAxisMin(0.0);
        for (int i = 0; i < schedules.size(); i++) {
            double[] s = schedules.get(i);
            double[] k = new double[s.length];
            for (int j = 0; j < k.length; j++) {
                k[j] = j + 1;
            }
            XYSeries line = chart.addSeries(labels.get(i), k, s);
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setMarker(SeriesMarkers.CIRCLE);
        }
        if (schedules.isEmpty()) {
            chart.setTitle("no per-step sizes were logged");
            chart.addSeries("none", new double[] {0}, new double[] {0});
        }
        save(chart, png);
    }

    /**
     * Draws a grid search's objective against s (the paper's Fig. 6), as {@code shortrun stepsize
     * --plot} does.
     *
     * @param grid the search
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public static void writeObjective(StepSizeSearch.Result grid, Path png) throws IOException {
        JsonArray estimates = new JsonArray();
        for (StepSizeProblem.Estimate e : grid.trace()) {
            estimates.add(new com.google.gson.Gson().toJsonTree(e.toMap()));
        }
        writeObjective(List.of(Curve.of("grid", estimates)), png);
    }

    /**
     * Writes the objective against s, one line per search. Each line is drawn relative to its own
     * minimum, since the objective's level falls by orders of magnitude as training proceeds;
     * filled markers are the admissible s (the optional admissible rule chooses among them).
     *
     * @param curves the searches
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public static void writeObjective(List<Curve> curves, Path png) throws IOException {
        writeObjective(curves, png, "s");
    }

    /**
     * Writes the objective against s, one line per search, with the x axis titled as given (for
     * per-step sizes, which are placed at their mean).
     *
     * @param curves the searches
     * @param png the file
     * @param xAxisTitle the x axis's title
     * @throws IOException if it cannot be written
     */
    public static void writeObjective(List<Curve> curves, Path png, String xAxisTitle)
            throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title("Step-size objective (filled: admissible s)")
                        .xAxisTitle(xAxisTitle)
                        .yAxisTitle("objective - its minimum over s (nats per image)")
                        .build();
        Color[] colors = chart.getStyler().getSeriesColors();
        int drawn = 0;
        for (Curve c : curves) {
            if (c.s().length == 0) {
                continue;
            }
            Color color = colors[drawn++ % colors.length];
            double min = Arrays.stream(c.objective()).min().orElse(0);
            double[] relative = Arrays.stream(c.objective()).map(v -> v - min).toArray();
            XYSeries line = chart.addSeries(c.label(), c.s(), relative);
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setMarker(SeriesMarkers.NONE);
            line.setLineColor(color);
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int i = 0; i < c.s().length; i++) {
                if (c.admissible()[i]) {
                    xs.add(c.s()[i]);
                    ys.add(relative[i]);
                }
            }
            if (!xs.isEmpty()) {
                XYSeries marks = chart.addSeries(c.label() + " (admissible)", xs, ys);
                marks.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                marks.setMarker(SeriesMarkers.CIRCLE);
                marks.setMarkerColor(color);
                marks.setShowInLegend(false);
            }
        }
        if (drawn == 0) {
            chart.setTitle("no finite objective was found");
            chart.addSeries("none", new double[] {0}, new double[] {0});
        }
        save(chart, png);
    }

    /**
     * Writes the noise gap against s: the paper's objective (the noise integrated out), the
     * expectation of the fixed-noise estimate, and their difference I(e_K; eps), all in nats, as a
     * closed form gives them for a linear generator.
     *
     * @param s the step sizes, increasing
     * @param objective the paper's objective at each
     * @param fixedNoise the fixed-noise estimate's expectation at each
     * @param title the chart's title
     * @param yMax the top of the y axis, so that the region around the minima can be seen
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public static void writeNoiseGap(
            double[] s,
            double[] objective,
            double[] fixedNoise,
            String title,
            double yMax,
            Path png)
            throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title(title)
                        .xAxisTitle("s")
                        .yAxisTitle("nats")
                        .build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        double[] gap = new double[s.length];
        double floor = Double.POSITIVE_INFINITY;
        for (int i = 0; i < s.length; i++) {
            gap[i] = fixedNoise[i] - objective[i];
            floor = Math.min(floor, objective[i]);
        }
        double shift = floor;
        addLine(
                chart,
                "paper's objective - its minimum (noise integrated)",
                s,
                Arrays.stream(objective).map(v -> v - shift).toArray());
        addLine(
                chart,
                "fixed-noise estimate - the same minimum",
                s,
                Arrays.stream(fixedNoise).map(v -> v - shift).toArray());
        addLine(chart, "noise gap I(e_K; eps)", s, gap);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(yMax);
        save(chart, png);
    }

    private static void addLine(XYChart chart, String label, double[] x, double[] y) {
        XYSeries line = chart.addSeries(label, x, y);
        line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
    }

    private static void save(XYChart chart, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
