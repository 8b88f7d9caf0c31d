package org.shortrun.eval.plot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Every picture a run directory gets drawn from its logs: loss.png and the step-size plots. */
public final class RunPlots {

    private RunPlots() {}

    /**
     * Draws what the run's logs allow. A picture that cannot be drawn is reported, not thrown, so
     * that it neither hides why training stopped nor stops a finished run.
     *
     * @param run the run directory
     * @return one message per picture that was not drawn; empty if all were
     */
    public static List<String> draw(Path run) {
        List<String> warnings = new ArrayList<>();
        try {
            StepSizePlots.write(run, 4);
        } catch (IOException | RuntimeException e) {
            warnings.add("the step-size plots were not drawn: " + e.getMessage());
        }
        try {
            LossPlot.write(run);
        } catch (IOException | RuntimeException e) {
            warnings.add("loss.png was not drawn: " + e.getMessage());
        }
        return warnings;
    }
}
