package org.shortrun;

/**
 * Thrown when the loss stops being a finite number. The run stops before writing a checkpoint, so
 * the last one written, if any, is kept; the message says which. A smaller learning rate or step
 * size usually helps.
 */
public final class DivergenceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what diverged, and when
     */
    public DivergenceException(String message) {
        super(message);
    }
}
