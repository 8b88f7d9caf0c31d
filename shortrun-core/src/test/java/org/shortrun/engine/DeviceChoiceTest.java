package org.shortrun.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One device for everything: every array, block and network follows the device the user chooses (a
 * {@code Device} in the library's builders, {@code --device} in the command), so no main code of
 * the library or the command may name a device or open a manager on the engine's default instead of
 * taking the chosen one. With no GPU here, this is checked in the sources: a new {@code
 * Device.cpu()} (the Inception network was pinned to one) or {@code NDManager.newBaseManager()}
 * fails it, unless it is one of the few places listed below with the reason it may.
 */
class DeviceChoiceTest {

    private static final Pattern NAMED =
            Pattern.compile("Device\\.(cpu|gpu|of|fromName)\\(|new Device\\(|newBaseManager\\(\\)");

    /** File name and construct allowed there, with why. */
    private static final Map<String, String> ALLOWED =
            Map.of(
                    "Engines.java Device.fromName(",
                    "the one place where the name the user chose becomes a device",
                    "MnistImages.java Device.cpu(",
                    "DJL's Mnist decodes into arrays read back into Java at once, on the host",
                    "ImageBatch.java Device.cpu(",
                    "DJL's images become arrays read back into Java at once, on the host");

    @Test
    void mainCodeTakesTheChosenDevice() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<Path> sources =
                List.of(
                        root.resolve("shortrun-core/src/main/java"),
                        root.resolve("shortrun-datasets/src/main/java"),
                        root.resolve("shortrun-eval/src/main/java"),
                        root.resolve("shortrun-examples/src/main/java/org/shortrun/cli"));
        List<String> found = new ArrayList<>();
        int files = 0;
        for (Path dir : sources) {
            assertTrue(Files.isDirectory(dir), dir + " is not there");
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path file : walk.filter(p -> p.toString().endsWith(".java")).toList()) {
                    files++;
                    List<String> lines = Files.readAllLines(file);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).trim();
                        if (line.startsWith("*") || line.startsWith("//")) {
                            continue;
                        }
                        Matcher m = NAMED.matcher(line);
                        while (m.find()) {
                            String key = file.getFileName() + " " + m.group();
                            if (!ALLOWED.containsKey(key)) {
                                found.add(root.relativize(file) + ":" + (i + 1) + ": " + line);
                            }
                        }
                    }
                }
            }
        }
        assertTrue(files > 100, "only " + files + " sources read");
        assertEquals(List.of(), found, "main code that names a device instead of the chosen one");
    }
}
