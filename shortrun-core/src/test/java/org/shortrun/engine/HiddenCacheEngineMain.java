package org.shortrun.engine;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.shortrun.model.LadderConfig;

/**
 * Runs in a JVM whose engine is a {@link HiddenCacheEngine}: prints what {@link EngineCheck} finds,
 * then runs the model, inference and training tests and prints their summary.
 */
public final class HiddenCacheEngineMain {

    private HiddenCacheEngineMain() {}

    /**
     * Entry point.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderConfig demo =
                    LadderConfig.builder()
                            .setZDims(16, 32, 64)
                            .optChannels(16)
                            .optImageChannels(1)
                            .build();
            EngineCheck.Report report = EngineCheck.run(demo, manager);
            System.out.println("plain_convolution_error " + report.plainConvolutionError());
            System.out.println("engine_check_ok " + report.ok());
        }
        LauncherDiscoveryRequest request =
                LauncherDiscoveryRequestBuilder.request()
                        .selectors(
                                selectPackage("org.shortrun.model"),
                                selectPackage("org.shortrun.inference"),
                                selectPackage("org.shortrun.training"))
                        .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        summary.printFailuresTo(out, 3);
        out.println("tests_found " + summary.getTestsFoundCount());
        out.println("tests_failed " + summary.getTotalFailureCount());
        out.println(
                "tests_skipped "
                        + (summary.getTestsSkippedCount() + summary.getTestsAbortedCount()));
        out.flush();
        System.exit(0);
    }
}
