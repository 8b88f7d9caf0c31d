package org.shortrun.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.shortrun.InputException;
import org.shortrun.io.DirectoryLock;
import org.shortrun.io.WriteFailure;
import org.shortrun.model.LatentGenerator;

/**
 * The directory a training run writes: created, locked while the run writes it (a second writer is
 * refused at once, a lock left by a killed run taken over), and never one that holds another run's
 * checkpoint, which the first save would replace. Every training entry point of the library ({@link
 * TrainingJob} with an output) goes through it.
 */
public final class RunDirectory implements AutoCloseable {

    /** The lock file a run holds in its directory while it runs. */
    public static final String LOCK = "train.lock";

    /** The file a run's settings and record go to. */
    public static final String CONFIG = "config.json";

    private final Path path;
    private final DirectoryLock lock;

    private RunDirectory(Path path, DirectoryLock lock) {
        this.path = path;
        this.lock = lock;
    }

    /**
     * Refuses a directory a run may not write: a file, or one holding a checkpoint that the run
     * does not continue (a fresh run, or a resumed one whose checkpoint lives elsewhere).
     *
     * @param directory the run directory
     * @param resume the checkpoint the run continues, or null for a fresh run
     * @throws InputException in one line, naming the directory
     */
    public static void check(Path directory, Checkpoint resume) {
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new InputException("run directory " + directory + " is a file, not a directory");
        }
        if (!Checkpoint.exists(directory)) {
            return;
        }
        if (resume == null) {
            throw new InputException(
                    "run directory "
                            + directory
                            + " already holds a checkpoint; resume it, or choose another"
                            + " directory");
        }
        if (!sameDirectory(directory, resume.getRunDirectory())
                && !sameDirectory(directory, resume.getDirectory())) {
            throw new InputException(
                    "run directory "
                            + directory
                            + " already holds the checkpoint of another run, which resuming "
                            + resume.getDirectory()
                            + " there would overwrite; choose an empty directory, or continue in"
                            + " the resumed run's own");
        }
    }

    /**
     * Creates the directory, takes its lock and checks, under the lock, that the run may write
     * there.
     *
     * @param directory the run directory
     * @param resume the checkpoint the run continues, or null for a fresh run
     * @param notes hears what a person should know: a stale lock taken over, a resumed run
     *     continued in another directory
     * @return the held directory; closing it releases the lock
     * @throws InputException if the directory may not be written or another process writes it
     */
    public static RunDirectory open(Path directory, Checkpoint resume, Consumer<String> notes) {
        check(directory, resume);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw WriteFailure.of(directory, e);
        }
        DirectoryLock lock;
        try {
            lock = DirectoryLock.acquire(directory.resolve(LOCK), "run directory " + directory);
        } catch (IOException e) {
            throw WriteFailure.of(directory.resolve(LOCK), e);
        }
        try {
            if (lock.getStaleOwner() != null) {
                notes.accept(
                        lock.getStaleOwner()
                                + " ended without releasing "
                                + directory.resolve(LOCK)
                                + "; taken over");
            }
            // again under the lock: a run that started meanwhile may have written a checkpoint
            check(directory, resume);
            if (resume != null && !Checkpoint.exists(directory)) {
                notes.accept(
                        "continuing "
                                + resume.getDirectory()
                                + " (iteration "
                                + resume.getIteration()
                                + ") in "
                                + directory);
            }
        } catch (RuntimeException e) {
            try {
                lock.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new RunDirectory(directory, lock);
    }

    /**
     * @return the directory
     */
    public Path getPath() {
        return path;
    }

    /**
     * Writes the run's config.json: the generator's description, the settings and what the run
     * records of how it was started.
     *
     * @param generator the generator
     * @param training the settings
     * @param record further top-level entries (the data, the engine check, versions), or null
     * @throws InputException if it cannot be written, naming the file
     */
    public void writeConfig(
            LatentGenerator generator, LearningConfig training, Map<String, Object> record) {
        Path config = path.resolve(CONFIG);
        try {
            Files.writeString(
                    config,
                    Checkpoint.configJson(generator, training, record),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw WriteFailure.of(config, e);
        }
    }

    /** Releases the lock. */
    @Override
    public void close() throws IOException {
        lock.close();
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
