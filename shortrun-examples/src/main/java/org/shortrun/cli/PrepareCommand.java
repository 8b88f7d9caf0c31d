package org.shortrun.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.shortrun.data.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun prepare}: loads a split once, building CelebA's cache, and reports what loading
 * cost, so that training starts from the cache.
 */
@Command(
        name = "prepare",
        mixinStandardHelpOptions = true,
        description =
                "Load a dataset split (building CelebA's cache) and print the loading throughput as"
                        + " JSON.")
final class PrepareCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();

    @Option(
            names = "--image-size",
            paramLabel = "N",
            description = "Image side: 32 or 64 (default: 32).")
    int imageSize = 32;

    @Option(
            names = "--split",
            paramLabel = "SPLIT",
            description = "train or test (default: train).")
    Split split = Split.TRAIN;

    @Override
    public Integer call() {
        if (imageSize != 32 && imageSize != 64) {
            throw new org.shortrun.InputException(
                    "--image-size must be 32 or 64, got " + imageSize);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("dataset", data.name());
        line.put("split", split.name().toLowerCase(Locale.ROOT));
        line.put("image_size", imageSize);
        line.put("threads", Runtime.getRuntime().availableProcessors());
        line.putAll(data.source().prepare(split, imageSize));
        Json.print(line);
        return 0;
    }
}
