package org.shortrun.eval.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.training.TrainingJob;

/**
 * The run plots are drawn from a run's logs, and nothing is drawn from a run that logged nothing.
 */
class RunPlotsTest {

    private static void assertPicture(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " is not a picture");
        assertEquals(720, image.getWidth());
        assertEquals(450, image.getHeight());
    }

    @Test
    void lossPlotSkipsDivergedIterationsAndNeedsOneLine(@TempDir Path run) throws IOException {
        Path metrics = run.resolve(TrainingJob.METRICS_FILE);
        Files.writeString(metrics, TrainingJob.METRICS_HEADER + "\n");
        assertNull(LossPlot.write(run));
        Files.writeString(
                metrics,
                TrainingJob.METRICS_HEADER
                        + "\n"
                        + "1,9.1,0.5,0.05,0.3,8e-5,1.0\n"
                        + "2,9.0,NaN,0.05,0.3,8e-5,2.0\n"
                        + "3,8.5,0.25,0.05,0.3,8e-5,3.0\n");
        Path png = LossPlot.write(run);
        assertEquals(run.resolve(LossPlot.FILE), png);
        assertPicture(png);
    }

    @Test
    void stepSizePlotsDrawEverySearchTheLogHolds(@TempDir Path run) throws IOException {
        assertEquals(List.of(), StepSizePlots.write(run, 4));
        String first =
                "{\"iteration\":0,\"chosen\":0.05,\"estimates\":[{\"s\":0.1,\"objective\":3.0,\"admissible\":false},"
                    + "{\"s\":0.05,\"objective\":2.0,\"admissible\":true},{\"s\":0.2,\"objective\":null,\"admissible\":false}]}";
        String second =
                "{\"iteration\":50,\"chosen\":0.1,\"estimates\":[{\"s\":0.1,\"objective\":1.0,\"admissible\":true}]}";
        Files.writeString(run.resolve(TrainingJob.STEP_SIZE_LOG), first + "\n" + second + "\n");
        List<Path> files = StepSizePlots.write(run, 4);
        assertEquals(
                List.of(
                        run.resolve(StepSizePlots.OVER_ITERATIONS),
                        run.resolve(StepSizePlots.OBJECTIVE)),
                files);
        for (Path png : files) {
            assertPicture(png);
        }
    }

    /**
     * A per-step run gets s_k over the iterations, s_k against k, and the objective at the sizes'
     * mean.
     */
    @Test
    void perStepSizesAreDrawnPerStep(@TempDir Path run) throws IOException {
        String first =
                "{\"iteration\":0,\"previous\":0.05,\"chosen\":0.06,\"previous_per_step\":[0.05,0.05,0.05],\"chosen_per_step\":[0.05,0.06,0.07],"
                    + "\"estimates\":[{\"s\":0.05,\"objective\":3.0,\"admissible\":true},{\"s\":[0.05,0.06,0.07],\"objective\":2.0,\"admissible\":true}]}";
        String second =
                "{\"iteration\":50,\"previous\":0.06,\"chosen\":0.07,\"previous_per_step\":[0.05,0.06,0.07],\"chosen_per_step\":[0.04,0.07,0.1],"
                    + "\"estimates\":[{\"s\":[0.04,0.07,0.1],\"objective\":1.0,\"admissible\":false}]}";
        Files.writeString(run.resolve(TrainingJob.STEP_SIZE_LOG), first + "\n" + second + "\n");
        Files.writeString(
                run.resolve(TrainingJob.METRICS_FILE),
                TrainingJob.METRICS_HEADER + "\n100,9.1,0.5,0.07,0.3,8e-5,1.0\n");
        List<Path> files = StepSizePlots.write(run, 4);
        assertEquals(
                List.of(
                        run.resolve(StepSizePlots.OVER_ITERATIONS),
                        run.resolve(StepSizePlots.OBJECTIVE),
                        run.resolve(StepSizePlots.PER_STEP)),
                files);
        for (Path png : files) {
            assertPicture(png);
        }
        StepSizePlots.Curve c =
                StepSizePlots.Curve.of(
                        "x",
                        JsonParser.parseString(
                                        "[{\"s\":[0.05,0.06,0.1],\"objective\":2.0,\"admissible\":true},{\"s\":0.06,\"objective\":1.0,\"admissible\":true}]")
                                .getAsJsonArray());
        assertEquals(0.06, c.s()[0], 1e-12);
        assertEquals(0.07, c.s()[1], 1e-12, "per-step sizes at their mean");
    }

    @Test
    void aCurveKeepsTheFiniteEstimatesInIncreasingS() {
        StepSizePlots.Curve c =
                StepSizePlots.Curve.of(
                        "grid",
                        JsonParser.parseString(
                                        "[{\"s\":0.2,\"objective\":1.5,\"admissible\":false},{\"s\":0.3,\"objective\":null,\"admissible\":false},"
                                            + "{\"s\":0.1,\"objective\":2.5,\"admissible\":true}]")
                                .getAsJsonArray());
        assertEquals("grid", c.label());
        assertEquals(List.of(0.1, 0.2), List.of(c.s()[0], c.s()[1]));
        assertEquals(2, c.objective().length);
        assertEquals(2.5, c.objective()[0]);
        assertTrue(c.admissible()[0]);
        assertTrue(!c.admissible()[1]);
    }
}
