package org.shortrun.training;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** Writes metrics.csv: a line per iteration. */
final class MetricsLog extends RunLog {

    MetricsLog(Path output, long resumedAt) {
        super(output.resolve(TrainingJob.METRICS_FILE), resumedAt);
    }

    /**
     * A line's iteration counts the iteration it reports, so the checkpoint's last is {@code
     * resumedAt}.
     */
    @Override
    boolean keepsOnResume(String line, long resumedAt) {
        return Long.parseLong(line.substring(0, line.indexOf(','))) <= resumedAt;
    }

    @Override
    String header() {
        return TrainingJob.METRICS_HEADER;
    }

    /** {@inheritDoc} */
    @Override
    public void onIteration(IterationStats stats) throws IOException {
        write(
                String.format(
                        Locale.ROOT,
                        "%d,%.6g,%.6g,%s,%.6g,%.6g,%.3f",
                        stats.iteration(),
                        stats.loss(),
                        stats.mse(),
                        // empty for a method without a step size
                        Float.isNaN(stats.stepSize())
                                ? ""
                                : String.format(Locale.ROOT, "%.6g", stats.stepSize()),
                        stats.sigma(),
                        stats.learningRate(),
                        stats.seconds()));
    }
}
