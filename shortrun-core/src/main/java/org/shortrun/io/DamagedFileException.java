package org.shortrun.io;

import java.nio.file.Path;
import org.shortrun.InputException;

/**
 * Thrown when a file is damaged, truncated, hostile or of another kind or format: its message is
 * one line naming the file and the problem. A cache catches it and rebuilds; anything else lets it
 * reach the user.
 */
public class DamagedFileException extends InputException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates the exception.
     *
     * @param file the file
     * @param problem what is wrong with it, e.g. "its checksum does not match"
     */
    public DamagedFileException(Path file, String problem) {
        super(file + " is damaged: " + problem);
        this.file = file;
    }

    /**
     * Creates the exception with the failure underneath it.
     *
     * @param file the file
     * @param problem what is wrong with it
     * @param cause the underlying failure
     */
    public DamagedFileException(Path file, String problem, Throwable cause) {
        super(file + " is damaged: " + problem, cause);
        this.file = file;
    }

    /**
     * @return the damaged file
     */
    public Path getFile() {
        return file;
    }
}
