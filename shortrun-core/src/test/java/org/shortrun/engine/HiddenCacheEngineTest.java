package org.shortrun.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gradient tests on an engine that has the oneDNN convolution bug, made so on this machine by
 * {@link HiddenCacheEngine}. The bug must show on the plain convolution there, which proves that
 * the checks can fail; then every model, inference and training test must pass on it.
 */
class HiddenCacheEngineTest {

    @Test
    void gradientTestsPassOnAnEngineWithTheBug(@TempDir Path dir)
            throws IOException, InterruptedException {
        assumeTrue(HiddenCacheEngine.applies(), "needs Linux on an AMD x86-64 CPU");
        Path cache = HiddenCacheEngine.prepare(dir.resolve("engine"));
        Path log = dir.resolve("child.log");
        ProcessBuilder child =
                new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx2g",
                        "-Dai.djl.offline=true",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-cp",
                        System.getProperty("java.class.path"),
                        HiddenCacheEngineMain.class.getName());
        child.environment().put("ENGINE_CACHE_DIR", cache.toString());
        child.redirectErrorStream(true).redirectOutput(log.toFile());
        Process process = child.start();
        assertTrue(process.waitFor(12, TimeUnit.MINUTES), "the child JVM did not finish");
        List<String> lines = java.nio.file.Files.readAllLines(log, StandardCharsets.UTF_8);
        String output = String.join("\n", lines);
        assertEquals(0, process.exitValue(), output);
        Map<String, String> result = new HashMap<>();
        for (String line : lines) {
            String[] parts = line.split(" ");
            if (parts.length == 2) {
                result.put(parts[0], parts[1]);
            }
        }
        double plain = Double.parseDouble(result.getOrDefault("plain_convolution_error", "NaN"));
        assertTrue(
                !(plain < 1e-2),
                "the copied engine should get a plain 16 -> 4 convolution wrong, error "
                        + plain
                        + "\n"
                        + output);
        assertEquals("true", result.get("engine_check_ok"), output);
        assertTrue(Integer.parseInt(result.getOrDefault("tests_found", "0")) >= 100, output);
        assertEquals("0", result.get("tests_failed"), output);
        assertEquals("0", result.get("tests_skipped"), output);
    }
}
