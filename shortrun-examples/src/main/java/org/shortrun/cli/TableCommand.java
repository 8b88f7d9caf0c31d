package org.shortrun.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.shortrun.data.Datasets;
import org.shortrun.eval.InceptionNetwork;
import org.shortrun.eval.table.CellResult;
import org.shortrun.eval.table.TableData;
import org.shortrun.eval.table.TableJob;
import org.shortrun.eval.table.TableSpec;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun table}: trains and measures every cell of a spec's grid (or one, with {@code
 * --cell}) through {@link TableJob}, printing a JSON line per cell and one at the end.
 */
@Command(
        name = "table",
        mixinStandardHelpOptions = true,
        description =
                "Run a grid of datasets x L x K x methods from a spec file; writes table.md and"
                        + " table.csv to --out and resumes there if interrupted.")
final class TableCommand implements Callable<Integer> {

    @Option(
            names = "--spec",
            required = true,
            paramLabel = "FILE",
            description = "The job's JSON spec (docs/specs/ has the paper's tables).")
    Path specFile;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Output directory (default: runs/<spec name>).")
    Path out;

    @Option(
            names = "--cell",
            paramLabel = "I",
            description =
                    "Run only cell I, numbered from 1 as the progress lines count them (for a job"
                            + " array); other cells can run at the same time into the same --out.")
    Integer cell;

    @Option(
            names = "--data",
            paramLabel = "NAME=DIR",
            description =
                    "Where a dataset's files are, e.g. --data svhn=/data/svhn; overrides the spec's"
                            + " data_dirs.")
    Map<String, Path> dataDirs = new HashMap<>();

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description = "CelebA images and FID statistics cache (default: ~/.cache/shortrun).")
    Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "shortrun");

    @Option(
            names = "--inception",
            paramLabel = "FILE",
            description =
                    "TorchScript Inception for FID; required when the spec's budget.fid_samples is"
                            + " above 0.")
    Path inception;

    @Option(
            names = "--feature-dim",
            paramLabel = "N",
            description = "Features per image the network must give (default: 2048).")
    int featureDim = InceptionNetwork.POOL3_FEATURES;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws IOException {
        TableSpec spec = TableSpec.read(specFile);
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
                        .optModelCheck(engine::check)
                        .optTrainingListener(new ProgressBar(System.err))
                        .optProgress(new ProgressBar(System.err, "img").asProgress("shortrun: "))
                        .optListener(new Log())
                        .build()) {
            engine.start(false);
            summary = job.run();
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("spec", summary.spec());
        line.put("cells", summary.cells());
        line.put("failed", summary.failed());
        line.put("markdown", summary.markdown().toString());
        line.put("csv", summary.csv().toString());
        Json.print(line);
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

    /** Progress lines on standard error, and a JSON line per measured cell on standard output. */
    private static final class Log implements TableJob.Listener {
        @Override
        public void onStaleLock(Path file, String owner) {
            System.err.printf(
                    "shortrun table: took over the stale lock %s of %s, which is no longer"
                            + " running%n",
                    file, owner);
        }

        @Override
        public void onCellKept(int number, int total, String cell) {
            System.err.printf(
                    "shortrun table: cell %d/%d %s done before, kept%n", number, total, cell);
        }

        @Override
        public void onCellStart(int number, int total, String cell) {
            System.err.printf("shortrun table: cell %d/%d %s%n", number, total, cell);
        }

        @Override
        public void onCellResumed(String cell, long iteration) {
            System.err.printf("shortrun table: %s continues from iteration %d%n", cell, iteration);
        }

        @Override
        public void onCellDone(CellResult result) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("cell", result.getCell());
            line.put("mse", result.getMse());
            line.put("fid", result.getFid());
            line.put("error", result.getError());
            Json.print(line);
        }
    }
}
