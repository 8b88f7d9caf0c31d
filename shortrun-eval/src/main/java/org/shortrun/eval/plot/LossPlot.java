package org.shortrun.eval.plot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.shortrun.training.TrainingJob;

/** loss.png: the training error per pixel over the iterations, drawn from a run's metrics.csv. */
public final class LossPlot {

    /** The picture's file name in the run directory. */
    public static final String FILE = "loss.png";

    private LossPlot() {}

    /**
     * Draws the run's metrics.csv, if it has any line.
     *
     * @param run the run directory
     * @return the picture, or null if there was nothing to draw
     * @throws IOException if metrics.csv cannot be read or the picture written
     */
    public static Path write(Path run) throws IOException {
        Path metrics = run.resolve(TrainingJob.METRICS_FILE);
        if (!Files.isRegularFile(metrics)) {
            return null;
        }
        List<Double> iterations = new ArrayList<>();
        List<Double> mse = new ArrayList<>();
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            String[] fields = line.split(",");
            if (line.startsWith("iteration") || fields.length < 3) {
                continue;
            }
            double value = Double.parseDouble(fields[2]);
            // a log axis cannot draw a diverged iteration; the line stops before it
            if (value > 0 && Double.isFinite(value)) {
                iterations.add(Double.parseDouble(fields[0]));
                mse.add(value);
            }
        }
        if (iterations.isEmpty()) {
            return null;
        }
        XYChart chart =
                new XYChartBuilder()
                        .width(720)
                        .height(450)
                        .title("Training error")
                        .xAxisTitle("iteration")
                        .yAxisTitle("squared error per pixel, [-1, 1] scale (batch after Langevin)")
                        .build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setYAxisLogarithmic(true);
        XYSeries series = chart.addSeries("train MSE", iterations, mse);
        series.setMarker(iterations.size() > 50 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        Path png = run.resolve(FILE);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        return png;
    }
}
