package org.shortrun.data;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Captures what a piece of code writes to standard error, where the tests' slf4j binding logs. */
final class StandardError {

    /** Code that may throw. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private StandardError() {}

    /** Runs {@code action} and returns what it logged. */
    static String of(Action action) throws Exception {
        PrintStream old = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(old);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        old.print(text);
        return text;
    }
}
