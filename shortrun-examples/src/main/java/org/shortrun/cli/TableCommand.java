package org.shortrun.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.FrechetDistance;
import org.shortrun.eval.InceptionNetwork;
import org.shortrun.eval.PaperResults;
import org.shortrun.eval.Reconstruction;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.DivergenceException;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.TrainingConfig;
import org.shortrun.training.TrainingRun;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code shortrun table}: trains and measures every cell of a spec's grid, writing a markdown
 * table and a CSV in the paper's layout with its numbers beside ours. Cells that finished are
 * kept; a cell that was interrupted continues from its last checkpoint.
 */
@Command(
        name = "table",
        mixinStandardHelpOptions = true,
        description = "Run a grid of datasets x L x K x methods from a spec file; writes table.md and table.csv to --out and resumes there if interrupted.")
final class TableCommand implements Callable<Integer> {

    @Option(names = "--spec", required = true, paramLabel = "FILE", description = "The job's JSON spec (docs/specs/ has the paper's tables).")
    Path specFile;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/<spec name>).")
    Path out;

    @Option(names = "--data", paramLabel = "NAME=DIR", description = "Where a dataset's files are, e.g. --data svhn=/data/svhn; overrides the spec's data_dirs.")
    Map<String, Path> dataDirs = new HashMap<>();

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "CelebA images and FID statistics cache (default: ~/.cache/shortrun).")
    Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "shortrun");

    @Option(names = "--inception", paramLabel = "FILE", description = "TorchScript Inception for FID; required when the spec's budget.fid_samples is above 0.")
    Path inception;

    @Option(names = "--feature-dim", paramLabel = "N", description = "Features per image the network must give (default: 2048).")
    int featureDim = InceptionNetwork.POOL3_FEATURES;

    @Mixin Options.Engine engine = new Options.Engine();

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

    @Override
    public Integer call() throws IOException {
        TableSpec spec = TableSpec.read(specFile);
        Path dir = out != null ? out : Path.of("runs", spec.name);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new InputException("--out " + dir + " is a file, not a directory");
        }
        Path savedSpec = dir.resolve("spec.json");
        if (Files.exists(savedSpec) && !Files.readString(savedSpec, StandardCharsets.UTF_8).equals(spec.canonical)) {
            throw new InputException("--out " + dir + " holds a job with another spec; choose another --out to run this one");
        }
        if (spec.fidSamples > 0) {
            if (inception == null) {
                throw new InputException("the spec asks for FID (budget.fid_samples " + spec.fidSamples + "): pass --inception FILE; " + InceptionNetwork.WHERE_TO_GET);
            }
        }
        Map<String, Options.Data> data = new HashMap<>();
        for (String dataset : spec.datasets) {
            data.put(dataset, dataOptions(spec, dataset));
        }
        for (String name : dataDirs.keySet()) {
            if (!spec.datasets.contains(name)) {
                throw new InputException("--data " + name + "=...: the spec has no dataset '" + name + "' (it has " + String.join(", ", spec.datasets) + ")");
            }
        }
        List<TableSpec.Cell> cells = spec.cells();
        for (TableSpec.Cell cell : cells) {
            config(spec, cell);
            training(spec, cell);
        }
        engine.start(false);
        if (spec.fidSamples > 0) {
            // fail now, not after hours of training, if the network is unusable
            InceptionNetwork.load(inception, null, featureDim).close();
        }
        for (LadderConfig model : cells.stream().map(cell -> config(spec, cell)).distinct().toList()) {
            engine.check(model);
        }
        Files.createDirectories(dir.resolve("cells"));
        Files.writeString(savedSpec, spec.canonical, StandardCharsets.UTF_8);
        Map<String, CellResult> results = new LinkedHashMap<>();
        for (TableSpec.Cell cell : cells) {
            CellResult done = CellResult.read(dir.resolve("cells").resolve(cell.id()));
            if (done != null) {
                results.put(cell.id(), done);
            }
        }
        writeTables(spec, results, dir, data);
        Map<String, ImageDataset[]> loaded = new HashMap<>();
        int index = 0;
        for (TableSpec.Cell cell : cells) {
            index++;
            if (results.containsKey(cell.id()) && results.get(cell.id()).error == null) {
                System.err.printf("shortrun table: cell %d/%d %s done before, kept%n", index, cells.size(), cell.id());
                continue;
            }
            System.err.printf("shortrun table: cell %d/%d %s%n", index, cells.size(), cell.id());
            ImageDataset[] splits = loaded.computeIfAbsent(cell.dataset(), d -> new ImageDataset[] {
                data.get(d).load(Split.TRAIN, spec.imageSize), data.get(d).load(Split.TEST, spec.imageSize)});
            CellResult result = runCell(spec, cell, dir.resolve("cells").resolve(cell.id()), splits[0], splits[1], data.get(cell.dataset()));
            results.put(cell.id(), result);
            writeTables(spec, results, dir, data);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("cell", cell.id());
            line.put("mse", result.mse);
            line.put("fid", result.fid);
            line.put("error", result.error);
            Json.print(line);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("spec", spec.name);
        line.put("cells", cells.size());
        line.put("failed", results.values().stream().filter(r -> r.error != null).count());
        line.put("markdown", dir.resolve("table.md").toString());
        line.put("csv", dir.resolve("table.csv").toString());
        Json.print(line);
        return 0;
    }

    private Options.Data dataOptions(TableSpec spec, String dataset) {
        Options.Data d = new Options.Data();
        d.dataset = Options.DatasetName.valueOf(dataset.toUpperCase(Locale.ROOT));
        Path fromCli = dataDirs.get(dataset);
        String fromSpec = spec.dataDirs.get(dataset);
        d.dataDir = fromCli != null ? fromCli : fromSpec != null ? Path.of(fromSpec) : null;
        d.cacheDir = cacheDir;
        d.celebaFirst = spec.celebaFirst;
        if (d.dataDir != null && !Files.isDirectory(d.dataDir)) {
            throw new InputException(dataset + " data directory " + d.dataDir + " does not exist");
        }
        d.validate();
        if (dataset.equals("mnist") || dataset.equals("svhn")) {
            if (spec.imageSize != 32) {
                throw new InputException("spec " + specFile + ": " + dataset + " is evaluated at 32x32; image_size 64 is for celeba only");
            }
        }
        return d;
    }

    private static LadderConfig config(TableSpec spec, TableSpec.Cell cell) {
        try {
            return LadderConfig.builder()
                    .setZDims(spec.zDimsFor(cell.layers()))
                    .optChannels(spec.channels)
                    .optImageChannels(cell.dataset().equals("mnist") ? 1 : 3)
                    .optImageSize(spec.imageSize)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new InputException("spec: " + e.getMessage(), e);
        }
    }

    private static TrainingConfig training(TableSpec spec, TableSpec.Cell cell) {
        LearningRateSchedule schedule;
        try {
            schedule = LearningRateSchedule.valueOf(spec.lrSchedule.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InputException("spec: budget.lr_schedule must be released, paper or constant, got '" + spec.lrSchedule + "'", e);
        }
        try {
            return TrainingConfig.builder()
                    .setIterations(spec.iterations)
                    .optBatchSize(spec.batchSize)
                    .optSteps(cell.steps())
                    .optStepSize(spec.stepSize)
                    .optSigma(spec.sigma)
                    .optLearningRate(schedule, spec.lr)
                    .optSeed(spec.seed)
                    .optCheckpointEvery(spec.checkpointEvery)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new InputException("spec: " + e.getMessage(), e);
        }
    }

    private CellResult runCell(TableSpec spec, TableSpec.Cell cell, Path cellDir, ImageDataset train, ImageDataset test, Options.Data data) throws IOException {
        ImageDataset fidReal = spec.fidReal.equals("test") ? test : train;
        LadderConfig model = config(spec, cell);
        TrainingConfig training = training(spec, cell);
        if (train.imageCount() < training.getBatchSize()) {
            throw new InputException("budget.batch_size " + training.getBatchSize() + " is larger than the " + train.imageCount() + " training images of " + cell.dataset());
        }
        Checkpoint resume = Checkpoint.exists(cellDir) ? Checkpoint.read(cellDir) : null;
        if (resume != null && (!resume.getModelConfig().equals(model) || !resume.getTrainingConfig().isResumableAs(training))) {
            throw new InputException("cell " + cellDir + " holds a checkpoint of other settings; remove it or choose another --out");
        }
        CellResult result = new CellResult();
        result.cell = cell.id();
        result.dataset = cell.dataset();
        result.layers = cell.layers();
        result.steps = cell.steps();
        result.method = cell.method();
        Files.createDirectories(cellDir);
        try (NDManager root = NDManager.newBaseManager();
                Learner learner = resume != null ? resume.restore(training, root) : new Learner(model, training, root)) {
            if (resume != null) {
                System.err.printf("shortrun table: %s continues from iteration %d%n", cell.id(), learner.getIteration());
            }
            long started = System.nanoTime();
            try {
                TrainingRun.builder().setLearner(learner).setSource(train).optOutput(cellDir).optListener(new ProgressBar(System.err)).build().run(root);
            } catch (DivergenceException e) {
                result.error = e.getMessage();
                result.write(cellDir);
                return result;
            }
            result.iterations = learner.getIteration();
            result.trainSeconds = (System.nanoTime() - started) / 1e9;
            started = System.nanoTime();
            Engine.getInstance().setRandomSeed((int) spec.seed);
            Reconstruction.Error error =
                    Reconstruction.measure(learner.getGenerator(), learner.getParameterStore(), learner.getLangevin(), learner.currentSigma(), test, spec.evalImages, 100, root);
            result.mse = error.mse();
            result.mse01 = error.mse01();
            result.evalImages = error.images();
            if (spec.fidSamples > 0) {
                result.fid = fid(spec, learner, fidReal, data.cacheKey(spec.fidReal.equals("test") ? Split.TEST : Split.TRAIN, spec.imageSize), root);
            }
            result.evalSeconds = (System.nanoTime() - started) / 1e9;
        }
        result.write(cellDir);
        return result;
    }

    private double fid(TableSpec spec, Learner learner, ImageDataset real, String key, NDManager root) throws IOException {
        int nReal = Math.min(spec.fidSamples, real.imageCount());
        try (InceptionNetwork net = InceptionNetwork.load(inception, null, featureDim)) {
            RealStatistics stats = RealStatistics.get(net, inception, real, nReal, key, cacheDir, 0, (int) spec.seed, 50, root);
            Engine.getInstance().setRandomSeed((int) spec.seed);
            ParameterStore store = learner.getParameterStore();
            var fake = FidCommand.extract(net, (scope, from, to) -> TrainJob.sample(learner.getGenerator(), store, scope, to - from), spec.fidSamples, 50, null, root, "generated");
            return FrechetDistance.compute(stats.entry().statistics(), fake).distance();
        }
    }

    /** What a finished cell leaves in result.json. */
    static final class CellResult {
        String cell;
        String dataset;
        int layers;
        int steps;
        String method;
        long iterations;
        Double mse;
        Double mse01;
        Integer evalImages;
        Double fid;
        Double trainSeconds;
        Double evalSeconds;
        String error;

        static CellResult read(Path cellDir) {
            Path file = cellDir.resolve("result.json");
            if (!Files.isRegularFile(file)) {
                return null;
            }
            try {
                return GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), CellResult.class);
            } catch (IOException | RuntimeException e) {
                // a damaged result is measured again
                return null;
            }
        }

        void write(Path cellDir) throws IOException {
            Path tmp = cellDir.resolve("result.json.tmp");
            Files.writeString(tmp, GSON.toJson(this), StandardCharsets.UTF_8);
            Files.move(tmp, cellDir.resolve("result.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private void writeTables(TableSpec spec, Map<String, CellResult> results, Path dir, Map<String, Options.Data> data) throws IOException {
        Map<String, String> described = new HashMap<>();
        data.forEach((name, d) -> described.put(name, d.describe()));
        Files.writeString(dir.resolve("table.md"), TableWriter.markdown(spec, results, described), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("table.csv"), TableWriter.csv(spec, results), StandardCharsets.UTF_8);
    }

    static String paperValue(String dataset, int size, int l, int k, String method, boolean fid) {
        return PaperResults.lookup(dataset, size, l, k, method)
                .map(e -> fid ? e.fid() : e.mse())
                .filter(v -> !Double.isNaN(v))
                .map(v -> fid ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.3f", v))
                .orElse("");
    }
}
