package org.shortrun.training;

import ai.djl.util.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on standard error: items done, rate, a detail (the loss, in training) and ETA.
 * Redrawn in place on a terminal; on a log (no console) a line every tenth of the work. During a
 * step-size search, which stops the iterations for a while, it reports every evaluation of the
 * objective instead: in place on a terminal, a line each on a log.
 */
public final class ProgressBar implements TrainingJob.Listener {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private long from;
    private long to;
    private long lastDraw;
    private long lastDecile = -1;
    private final String unit;
    private long started;

    /**
     * A bar counting training iterations.
     *
     * @param out where it is drawn, standard error in the command
     */
    public ProgressBar(PrintStream out) {
        this(out, "it");
    }

    /**
     * A bar for other work than training.
     *
     * @param out where it is drawn
     * @param unit what is counted, e.g. "img"
     */
    public ProgressBar(PrintStream out, String unit) {
        this.out = out;
        this.unit = unit;
        terminal = System.console() != null;
    }

    /**
     * Starts counting items of work from now.
     *
     * @param total how many there are
     */
    public void start(long total) {
        onStart(0, total);
        started = System.nanoTime();
        lastDecile = -1;
    }

    /**
     * Reports how many of the items are done.
     *
     * @param done items done
     * @param detail shown after the rate, may be empty
     */
    public void advance(long done, String detail) {
        draw(done, (System.nanoTime() - started) / 1e9, detail);
    }

    /**
     * This bar as DJL's {@link Progress}, for library code that reports through it: {@code reset}
     * starts the count, every {@code increment} or {@code update} redraws.
     *
     * @return the adapter
     */
    public Progress asProgress() {
        return asProgress(null);
    }

    /**
     * This bar as DJL's {@link Progress}, printing each {@code reset}'s message on a line of its
     * own first, after {@code prefix}, so that a sequence of steps says which one is counted.
     *
     * @param prefix printed before each message; null prints none
     * @return the adapter
     */
    public Progress asProgress(String prefix) {
        ProgressBar bar = this;
        return new Progress() {
            private long done;

            @Override
            public void reset(String message, long max, String trailingMessage) {
                if (prefix != null) {
                    bar.out.println(prefix + message);
                }
                bar.start(max);
                done = 0;
            }

            @Override
            public void start(long initialProgress) {
                done = initialProgress;
            }

            @Override
            public void increment(long increment) {
                done += increment;
                bar.advance(done, "");
            }

            @Override
            public void update(long progress, String message) {
                done = progress;
                bar.advance(done, message == null ? "" : message);
            }

            @Override
            public void end() {
                // the last item drew the finished bar
            }
        };
    }

    @Override
    public void onStart(long from, long to) {
        this.from = from;
        this.to = to;
    }

    @Override
    public void onIteration(IterationStats stats) {
        draw(
                stats.iteration(),
                stats.seconds(),
                String.format(Locale.ROOT, "mse %.4f", stats.mse()));
    }

    @Override
    public void onStepSizeEstimate(TrainingJob.StepSizeProgress progress) {
        String line = describe(progress);
        boolean last = progress.evaluation() == progress.evaluations();
        if (terminal) {
            // padded so that a shorter line leaves nothing of the one it replaces
            out.print(
                    "\r"
                            + String.format(Locale.ROOT, "%-100s", line)
                            + (last ? System.lineSeparator() : ""));
            // the bar redraws at once after a search, whatever the time since its last drawing
            lastDraw = 0;
        } else {
            out.println(line);
        }
        out.flush();
    }

    /**
     * One evaluation of a step-size search as a line: where the search is, the s evaluated (the
     * mean of s_1..s_K for per-step sizes), its objective and the time left.
     */
    static String describe(TrainingJob.StepSizeProgress progress) {
        var e = progress.estimate();
        double[] s = e.stepSizes();
        boolean shared = java.util.Arrays.stream(s).allMatch(v -> v == s[0]);
        double perEvaluation = progress.seconds() / progress.evaluation();
        return String.format(
                Locale.ROOT,
                "step-size search (%s) before iteration %d: %d/%d, s %.4g%s, objective %s%s; %.1f"
                        + " s/evaluation, ETA %s",
                progress.search(),
                progress.iteration(),
                progress.evaluation(),
                progress.evaluations(),
                e.sharedStepSize(),
                shared ? "" : " (mean of " + s.length + " per-step)",
                Double.isFinite(e.objective())
                        ? String.format(Locale.ROOT, "%.6g", e.objective())
                        : "not finite",
                e.isAdmissible() ? "" : Double.isFinite(e.objective()) ? " (not admissible)" : "",
                perEvaluation,
                clock(perEvaluation * (progress.evaluations() - progress.evaluation())));
    }

    private void draw(long done, double seconds, String detail) {
        long now = System.nanoTime();
        boolean last = done == to;
        long decile = to == from ? 10 : (done - from) * 10 / (to - from);
        if (terminal ? (now - lastDraw < 200_000_000L && !last) : (decile == lastDecile && !last)) {
            return;
        }
        lastDraw = now;
        lastDecile = decile;
        double rate = (done - from) / Math.max(seconds, 1e-9);
        double eta = (to - done) / Math.max(rate, 1e-9);
        int filled = (int) (WIDTH * done / Math.max(to, 1));
        String bar =
                "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        String line =
                String.format(
                        Locale.ROOT,
                        "[%s] %d/%d %3d%% %.2f %s/s %sETA %s",
                        bar,
                        done,
                        to,
                        100 * done / Math.max(to, 1),
                        rate,
                        unit,
                        detail.isEmpty() ? "" : detail + " ",
                        clock(eta));
        if (terminal) {
            out.print("\r" + line + (last ? System.lineSeparator() : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
