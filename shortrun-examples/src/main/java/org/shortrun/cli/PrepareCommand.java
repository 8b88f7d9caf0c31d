package org.shortrun.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.shortrun.data.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun prepare}: load a split once (building CelebA's cache). */
@Command(name = "prepare", mixinStandardHelpOptions = true, showDefaultValues = true)
final class PrepareCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();

    @Option(names = "--image-size", paramLabel = "N")
    int imageSize = 32;

    @Option(names = "--split", paramLabel = "SPLIT")
    Split split = Split.TRAIN;

    @Override
    public Integer call() {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("dataset", data.dataset.name().toLowerCase(Locale.ROOT));
        line.put("split", split.name().toLowerCase(Locale.ROOT));
        line.put("image_size", imageSize);
        line.put("threads", Runtime.getRuntime().availableProcessors());
        line.putAll(data.source().prepare(split, imageSize));
        Json.print(line);
        return 0;
    }
}
