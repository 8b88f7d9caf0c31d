package org.shortrun;

/**
 * Thrown when something a user supplied (a flag, a data file, a checkpoint) cannot be used. The
 * message is one line that names the input and the problem; the command prints it and exits 2.
 */
public class InputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a one-line message naming the input and the problem.
     *
     * @param message the message
     */
    public InputException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a one-line message and the failure underneath it.
     *
     * @param message the message
     * @param cause the underlying failure
     */
    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
