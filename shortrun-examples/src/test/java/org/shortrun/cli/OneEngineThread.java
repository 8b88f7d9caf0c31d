package org.shortrun.cli;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.shortrun.engine.Engines;

/**
 * Starts the engine of the test JVM once, with one intra-op thread, before the first test class
 * runs (registered for every class through {@code META-INF/services} and {@code
 * junit-platform.properties}). The engine takes its thread count when it starts, so without this
 * the first command or library call of the JVM would fix it for all the others; and the test models
 * are so small, and the build machine so shared, that a second thread only makes the two wait on
 * each other (a tiny run's Langevin steps ten times slower on two busy cores). What a command
 * records of {@code --threads} is unchanged: the option is still parsed and written to config.json.
 */
public final class OneEngineThread implements BeforeAllCallback {

    private static final AtomicBoolean STARTED = new AtomicBoolean();

    /** {@inheritDoc} */
    @Override
    public void beforeAll(ExtensionContext context) {
        if (STARTED.compareAndSet(false, true)) {
            Engines.start(1, true);
        }
    }
}
