package org.shortrun.cli;

import ai.djl.util.Progress;

import java.io.PrintStream;

/**
 * The command's progress bar behind DJL's {@link Progress}, the form the evaluation library
 * reports feature extraction in: a line naming the work, then the bar counting images.
 */
final class FeatureProgress implements Progress {

    private final PrintStream out;
    private final ProgressBar bar;
    private long done;

    FeatureProgress(PrintStream out) {
        this.out = out;
        this.bar = new ProgressBar(out, "img");
    }

    @Override
    public void reset(String message, long max, String trailingMessage) {
        out.println("shortrun: " + message);
        done = 0;
        bar.start(max);
    }

    @Override
    public void start(long initialProgress) {
        done = initialProgress;
    }

    @Override
    public void end() {
        // the bar draws its last line when the count reaches the total
    }

    @Override
    public void increment(long increment) {
        update(done + increment, null);
    }

    @Override
    public void update(long progress, String message) {
        done = progress;
        bar.advance(progress, message == null ? "" : message);
    }
}
