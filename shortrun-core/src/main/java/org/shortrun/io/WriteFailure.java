package org.shortrun.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;
import org.shortrun.InputException;

/**
 * Turns a failure to write into one line naming the file and the cause a user can act on (a full
 * disk, a read-only or missing directory), for the command to print with exit code 2.
 */
public final class WriteFailure {

    private WriteFailure() {}

    /**
     * Describes a failed write.
     *
     * @param target the file or directory being written
     * @param e the failure
     * @return an exception whose message is one line: "cannot write TARGET: CAUSE"
     */
    public static InputException of(Path target, IOException e) {
        String where =
                e instanceof FileSystemException fs
                                && fs.getFile() != null
                                && !Path.of(fs.getFile()).equals(target)
                        ? " (at " + fs.getFile() + ")"
                        : "";
        return new InputException(message(target, e) + where, e);
    }

    /**
     * The one line for a failed write, for writers that rethrow an {@code IOException}.
     *
     * @param file the file being written
     * @param e the failure
     * @return "cannot write FILE: CAUSE"
     */
    public static String message(Path file, IOException e) {
        return "cannot write " + file + ": " + cause(e);
    }

    /**
     * The cause of a failed write in a few words, e.g. "no space left on device", without the
     * file's name, which the caller gives.
     *
     * @param e the failure
     * @return the cause
     */
    public static String cause(IOException e) {
        // a FileSystemException's message is only the file's name when the system gave no reason
        String reason = e instanceof FileSystemException fs ? fs.getReason() : e.getMessage();
        if (reason == null || reason.isBlank()) {
            if (e instanceof AccessDeniedException) {
                reason = "permission denied";
            } else if (e instanceof NoSuchFileException) {
                reason = "its directory does not exist";
            } else if (e instanceof NotDirectoryException) {
                reason = "not a directory";
            } else {
                reason = e.getClass().getSimpleName();
            }
        }
        return reason.toLowerCase(Locale.ROOT).startsWith("no space")
                ? "no space left on device"
                : lowerFirst(reason.replace('\n', ' '));
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
