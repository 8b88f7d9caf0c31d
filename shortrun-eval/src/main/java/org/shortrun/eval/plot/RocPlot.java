package org.shortrun.eval.plot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.shortrun.eval.Roc;

/** The ROC curve of anomaly scores, with the chance diagonal and the AUROC in the title. */
public final class RocPlot {

    /** The picture's file name in an anomaly run's directory. */
    public static final String FILE = "roc.png";

    private RocPlot() {}

    /**
     * Draws the ROC curve.
     *
     * @param scores one score per image, higher for more anomalous
     * @param anomalous whether each image is an anomaly
     * @param title what the scores are of, for the title
     * @param png the file
     * @throws IOException if it cannot be written
     */
    public static void write(double[] scores, boolean[] anomalous, String title, Path png)
            throws IOException {
        double[][] curve = Roc.curve(scores, anomalous);
        XYChart chart =
                new XYChartBuilder()
                        .width(560)
                        .height(520)
                        .title(
                                String.format(
                                        Locale.ROOT,
                                        "%s: AUROC %.4f",
                                        title,
                                        Roc.auroc(scores, anomalous)))
                        .xAxisTitle("false positive rate (normal images flagged)")
                        .yAxisTitle("true positive rate (anomalies flagged)")
                        .build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        XYSeries roc = chart.addSeries("ROC", curve[0], curve[1]);
        roc.setMarker(SeriesMarkers.NONE);
        XYSeries chance = chart.addSeries("chance", new double[] {0, 1}, new double[] {0, 1});
        chance.setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
