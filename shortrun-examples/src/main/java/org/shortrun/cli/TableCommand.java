package org.shortrun.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.shortrun.data.Datasets;
import org.shortrun.eval.fid.InceptionNetwork;
import org.shortrun.eval.table.TableData;
import org.shortrun.eval.table.TableJob;
import org.shortrun.eval.table.TableSpec;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun table}: trains and measures every cell of a spec's grid (or one, with {@code
 * --cell}) through {@link TableJob}, printing a JSON line per cell and one at the end.
 */
@Command(name = "table", mixinStandardHelpOptions = true)
final class TableCommand implements Callable<Integer> {

    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--spec", required = true, paramLabel = "FILE")
    Path specFile;

    @Option(names = "--out", paramLabel = "DIR")
    Path out;

    @Option(names = "--cell", paramLabel = "I")
    Integer cell;

    @Option(names = "--data", paramLabel = "NAME=DIR")
    Map<String, Path> dataDirs = new HashMap<>();

    @Option(names = "--cache-dir", paramLabel = "DIR")
    Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "shortrun");

    @Option(names = "--inception", paramLabel = "FILE")
    Path inception;

    @Option(names = "--feature-dim", paramLabel = "N")
    int featureDim = InceptionNetwork.POOL3_FEATURES;

    @Override
    public Integer call() throws IOException {
        TableSpec spec = TableSpec.read(specFile);
        engine.start(false);
        TableJob.Summary summary;
        try (TableJob job =
                TableJob.builder()
                        .setSpec(spec)
                        .setDirectory(out != null ? out : Path.of("runs", spec.getName()))
                        .setData(this::dataset)
                        .optDataDirectories(dataDirs)
                        .optCell(cell)
                        .optInception(inception, featureDim)
                        .optCacheDirectory(cacheDir)
                        .optModelCheck(model -> engine.check(new LadderGenerator(model)))
                        .optDevice(engine.device())
                        .optTrainingListener(new ProgressBar(System.err))
                        .optProgress(new ProgressBar(System.err, "img").asProgress("shortrun: "))
                        .optListener(TableJob.Listener.printing(System.err, Json::print))
                        .build()) {
            summary = job.run();
        }
        Json.print(summary.toMap());
        return 0;
    }

    /** A dataset as the other commands read it, through their dataset options. */
    private TableData.Source dataset(String name, Path directory, int celebaFirst) {
        Options.Data d = new Options.Data();
        d.dataset = Datasets.Name.valueOf(name.toUpperCase(Locale.ROOT));
        d.dataDir = directory;
        d.cacheDir = cacheDir;
        d.celebaFirst = celebaFirst;
        return TableData.Source.of(d.source());
    }
}
