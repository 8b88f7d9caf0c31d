package org.shortrun.training;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.shortrun.io.WriteFailure;

/**
 * An append-only log file of a run, flushed line by line. A fresh run empties it; a resumed one
 * keeps the lines a predicate accepts, as a run that died after its last checkpoint left lines the
 * resumed run writes again.
 */
abstract class RunLog implements TrainingJob.Listener {

    private final Path file;
    private final long resumedAt;
    private BufferedWriter writer;

    RunLog(Path file, long resumedAt) {
        this.file = file;
        this.resumedAt = resumedAt;
    }

    /** Whether a line of the existing file stays when the run resumes at {@code resumedAt}. */
    abstract boolean keepsOnResume(String line, long resumedAt);

    /** The first line of a fresh file, or null. */
    String header() {
        return null;
    }

    /** {@inheritDoc} */
    @Override
    public void onStart(long from, long to) throws IOException {
        try {
            open();
        } catch (IOException e) {
            throw new IOException(WriteFailure.message(file, e), e);
        }
    }

    private void open() throws IOException {
        Files.createDirectories(file.getParent());
        boolean fresh;
        if (resumedAt == 0 || !Files.exists(file)) {
            Files.write(file, new byte[0]);
            fresh = true;
        } else {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if ((header() != null && line.equals(header()))
                        || (!line.isBlank() && keeps(line))) {
                    kept.add(line);
                }
            }
            Files.write(file, kept, StandardCharsets.UTF_8);
            fresh = kept.isEmpty();
        }
        writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        if (fresh && header() != null) {
            write(header());
        }
    }

    /** A line cut short by a crash is not kept. */
    private boolean keeps(String line) {
        Predicate<String> keep = l -> keepsOnResume(l, resumedAt);
        try {
            return keep.test(line);
        } catch (RuntimeException e) {
            return false;
        }
    }

    void write(String line) throws IOException {
        try {
            writer.write(line);
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new IOException(WriteFailure.message(file, e), e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void onEnd() throws IOException {
        if (writer != null) {
            writer.close();
        }
    }
}
