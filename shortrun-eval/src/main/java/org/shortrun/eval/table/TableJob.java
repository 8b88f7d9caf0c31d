package org.shortrun.eval.table;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Progress;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.shortrun.DivergenceException;
import org.shortrun.InputException;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.Split;
import org.shortrun.eval.Reconstruction;
import org.shortrun.eval.fid.FidEvaluation;
import org.shortrun.eval.fid.GeneratorImages;
import org.shortrun.eval.fid.InceptionNetwork;
import org.shortrun.io.DirectoryLock;
import org.shortrun.method.LearningMethod;
import org.shortrun.method.Methods;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.LearningRateSchedule;
import org.shortrun.training.TrainingJob;

/**
 * A table job: trains and measures the cells of a {@link TableSpec}'s grid in a job directory, and
 * writes {@code table.md} and {@code table.csv} in the paper's layout after every cell.
 *
 * <p>A job resumes where it stopped: cells with a {@code result.json} are kept, an interrupted cell
 * continues from its checkpoint, a failed one runs again. One cell can run alone ({@link
 * Builder#optCell}), so a grid can run as a cluster job array; the tables are rebuilt from every
 * cell's {@code result.json} on disk, so cells run separately give the same {@code table.md} as one
 * run of all of them.
 *
 * <p>Locks keep two processes from corrupting a directory: building the job takes the lock of every
 * cell it will run ({@code locks/cell-<id>.lock}) and refuses at once if another process holds one;
 * {@code spec.json} and the tables are written under a short job-wide lock ({@code locks/job.lock})
 * that waits instead. Cells of one job may therefore run concurrently. Close the job to release its
 * locks.
 */
public final class TableJob implements AutoCloseable {

    /** How long a writer waits for another to finish writing the tables. */
    private static final long TABLE_LOCK_WAIT_MILLIS = 120_000;

    /** What a job tells its caller while it runs; every method does nothing by default. */
    public interface Listener {
        /**
         * Called when a lock left by a process that died is taken over.
         *
         * @param file the lock file
         * @param owner the dead owner it names
         */
        default void onStaleLock(Path file, String owner) {}

        /**
         * Called for a cell that finished in an earlier run and is kept.
         *
         * @param number the cell's number, from 1
         * @param total the number of cells in the spec
         * @param cell the cell's name
         */
        default void onCellKept(int number, int total, String cell) {}

        /**
         * Called before a cell trains.
         *
         * @param number the cell's number, from 1
         * @param total the number of cells in the spec
         * @param cell the cell's name
         */
        default void onCellStart(int number, int total, String cell) {}

        /**
         * Called when a cell continues from a checkpoint.
         *
         * @param cell the cell's name
         * @param iteration the checkpoint's iteration
         */
        default void onCellResumed(String cell, long iteration) {}

        /**
         * Called after a cell is measured (or failed) and the tables are rewritten.
         *
         * @param result its result
         */
        default void onCellDone(CellResult result) {}

        /**
         * A listener that tells a person how the job goes, one line per event, and hands on each
         * measured cell's JSON line ({@link CellResult#toMap}), as {@code shortrun table} does.
         *
         * @param progress where the lines for a person go, standard error in the command
         * @param cells told each measured cell
         * @return the listener
         */
        static Listener printing(
                java.io.PrintStream progress, Consumer<Map<String, Object>> cells) {
            return new Listener() {
                @Override
                public void onStaleLock(Path file, String owner) {
                    progress.printf(
                            "shortrun table: took over the stale lock %s of %s%n", file, owner);
                }

                @Override
                public void onCellKept(int number, int total, String cell) {
                    progress.printf(
                            "shortrun table: cell %d/%d %s done before, kept%n",
                            number, total, cell);
                }

                @Override
                public void onCellStart(int number, int total, String cell) {
                    progress.printf("shortrun table: cell %d/%d %s%n", number, total, cell);
                }

                @Override
                public void onCellResumed(String cell, long iteration) {
                    progress.printf(
                            "shortrun table: %s continues from iteration %d%n", cell, iteration);
                }

                @Override
                public void onCellDone(CellResult result) {
                    cells.accept(result.toMap());
                }
            };
        }
    }

    /**
     * What a run leaves.
     *
     * @param spec the spec's name
     * @param cells the number of cells in the spec
     * @param failed how many cells failed, over the whole job directory
     * @param markdown the markdown table
     * @param csv the CSV table
     */
    public record Summary(String spec, int cells, long failed, Path markdown, Path csv) {

        /**
         * The JSON line {@code shortrun table} prints at the end.
         *
         * @return spec, cells, failed, markdown, csv
         */
        public Map<String, Object> toMap() {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("spec", spec);
            line.put("cells", cells);
            line.put("failed", failed);
            line.put("markdown", markdown.toString());
            line.put("csv", csv.toString());
            return line;
        }
    }

    private final TableSpec spec;
    private final Path dir;
    private final Map<String, TableData.Source> data;
    private final List<TableSpec.Cell> cells;
    private final Integer cell;
    private final Path inception;
    private final int featureDim;
    private final Path cacheDirectory;
    private final Consumer<LadderConfig> modelCheck;
    private final TrainingJob.Listener trainingListener;
    private final Progress progress;
    private final Device device;
    private final Listener listener;
    private final List<DirectoryLock> cellLocks = new ArrayList<>();

    private TableJob(Builder b, Map<String, TableData.Source> data) {
        this.spec = b.spec;
        this.dir = b.directory;
        this.data = data;
        this.cells = b.spec.cells();
        this.cell = b.cell;
        this.inception = b.inception;
        this.featureDim = b.featureDim;
        this.cacheDirectory = b.cacheDirectory;
        this.modelCheck = b.modelCheck;
        this.trainingListener = b.trainingListener;
        this.progress = b.progress;
        this.device = b.device;
        this.listener = b.listener;
    }

    /**
     * Starts describing a job.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the job's cells (or the one cell asked for), writing the tables after each.
     *
     * @return the tables written and how many cells failed
     * @throws IOException if the job directory cannot be written
     * @throws InputException if the network is unusable, a model fails the check, or a cell's
     *     directory holds a checkpoint of other settings
     */
    public Summary run() throws IOException {
        if (spec.fidSamples > 0) {
            // fail now, not after hours of training, if the network is unusable
            InceptionNetwork.load(inception, null, featureDim, device).close();
        }
        for (LadderConfig model : cells.stream().map(c -> config(spec, c)).distinct().toList()) {
            modelCheck.accept(model);
        }
        underTableLock(
                () -> {
                    Path savedSpec = dir.resolve("spec.json");
                    checkSavedSpec(savedSpec);
                    Files.createDirectories(dir.resolve("cells"));
                    Files.writeString(savedSpec, spec.canonical, StandardCharsets.UTF_8);
                });
        Map<String, CellResult> ran = new HashMap<>();
        writeTables(ran);
        Map<String, ImageDataset[]> loaded = new HashMap<>();
        for (int number = 1; number <= cells.size(); number++) {
            if (cell != null && number != cell) {
                continue;
            }
            TableSpec.Cell c = cells.get(number - 1);
            Path cellDir = dir.resolve("cells").resolve(c.id());
            CellResult done = CellResult.read(cellDir);
            if (done != null && done.error == null) {
                listener.onCellKept(number, cells.size(), c.id());
                continue;
            }
            listener.onCellStart(number, cells.size(), c.id());
            TableData.Source source = data.get(c.dataset());
            ImageDataset[] splits =
                    loaded.computeIfAbsent(
                            c.dataset(),
                            d ->
                                    new ImageDataset[] {
                                        source.load(Split.TRAIN, spec.imageSize),
                                        source.load(Split.TEST, spec.imageSize)
                                    });
            CellResult result = runCell(c, cellDir, splits[0], splits[1], source);
            ran.put(c.id(), result);
            writeTables(ran);
            listener.onCellDone(result);
        }
        Map<String, CellResult> all = results(ran);
        return new Summary(
                spec.name,
                cells.size(),
                all.values().stream().filter(r -> r.error != null).count(),
                dir.resolve("table.md"),
                dir.resolve("table.csv"));
    }

    /**
     * Releases the cells' locks.
     *
     * @throws IOException if a lock file cannot be emptied
     */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (DirectoryLock lock : cellLocks) {
            try {
                lock.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        cellLocks.clear();
        if (first != null) {
            throw first;
        }
    }

    /** A write of the job-wide files. */
    @FunctionalInterface
    private interface TableWrite {
        void run() throws IOException;
    }

    /** Runs a write of spec.json or the tables while holding the short job-wide lock. */
    private void underTableLock(TableWrite write) throws IOException {
        Path file = dir.resolve("locks").resolve("job.lock");
        DirectoryLock lock =
                DirectoryLock.acquireWaiting(file, "job directory " + dir, TABLE_LOCK_WAIT_MILLIS);
        try {
            if (lock.getStaleOwner() != null) {
                listener.onStaleLock(file, lock.getStaleOwner());
            }
            write.run();
        } finally {
            lock.close();
        }
    }

    private void checkSavedSpec(Path savedSpec) throws IOException {
        if (!Files.exists(savedSpec)) {
            return;
        }
        // compared as bytes, and read only when the sizes agree: a damaged or huge spec.json is
        // another spec, never decoded or held in memory whole
        byte[] expected = spec.canonical.getBytes(StandardCharsets.UTF_8);
        if (Files.size(savedSpec) != expected.length
                || !Arrays.equals(Files.readAllBytes(savedSpec), expected)) {
            throw new InputException(
                    "--out "
                            + dir
                            + " holds a job with another spec; choose another --out to run this"
                            + " one");
        }
    }

    /** Every cell's result on disk, with this run's results over them. */
    private Map<String, CellResult> results(Map<String, CellResult> ran) {
        Map<String, CellResult> results = new LinkedHashMap<>();
        for (TableSpec.Cell c : cells) {
            CellResult r =
                    ran.containsKey(c.id())
                            ? ran.get(c.id())
                            : CellResult.read(dir.resolve("cells").resolve(c.id()));
            if (r != null) {
                results.put(c.id(), r);
            }
        }
        return results;
    }

    /**
     * Rebuilds both tables from every cell's result, so whichever process writes last writes them
     * whole.
     */
    private void writeTables(Map<String, CellResult> ran) throws IOException {
        Map<String, String> described = new HashMap<>();
        data.forEach((name, d) -> described.put(name, d.describe()));
        underTableLock(
                () -> {
                    Map<String, CellResult> results = results(ran);
                    replace(
                            dir.resolve("table.md"),
                            TableWriter.markdown(spec, results, described));
                    replace(dir.resolve("table.csv"), TableWriter.csv(spec, results));
                });
    }

    private static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private CellResult runCell(
            TableSpec.Cell c,
            Path cellDir,
            ImageDataset train,
            ImageDataset test,
            TableData.Source source)
            throws IOException {
        ImageDataset fidReal = spec.fidReal.equals("test") ? test : train;
        LadderConfig model = config(spec, c);
        LearningConfig training = training(spec, c).toBuilder().optData(source.identity()).build();
        if (train.imageCount() < training.getBatchSize()) {
            throw new InputException(
                    "budget.batch_size "
                            + training.getBatchSize()
                            + " is larger than the "
                            + train.imageCount()
                            + " training images of "
                            + c.dataset());
        }
        Checkpoint resume = Checkpoint.exists(cellDir) ? Checkpoint.read(cellDir) : null;
        if (resume != null
                && (!model.equals(resume.getModelConfig())
                        || !resume.getLearningConfig().isResumableAs(training))) {
            // said here in the table's words; TrainingJob would refuse it too
            throw new InputException(
                    "cell "
                            + cellDir
                            + " holds a checkpoint of other settings; remove it or choose another"
                            + " --out");
        }
        CellResult result = new CellResult();
        result.cell = c.id();
        result.dataset = c.dataset();
        result.layers = c.layers();
        result.steps = c.steps();
        result.method = c.method();
        result.seed = c.seed();
        TrainingJob.Builder build =
                TrainingJob.builder()
                        .setModel(model)
                        .setLearning(training)
                        .setTrainImages(train)
                        .optResume(resume)
                        .optOutput(cellDir)
                        .optDevice(device);
        if (trainingListener != null) {
            build.addListener(trainingListener);
        }
        try (TrainingJob job = build.build()) {
            Learner learner = job.getLearner();
            NDManager root = job.getManager();
            if (resume != null) {
                listener.onCellResumed(c.id(), learner.getIteration());
            }
            long started = System.nanoTime();
            try {
                job.train();
            } catch (DivergenceException e) {
                result.error = e.getMessage();
                result.write(cellDir);
                return result;
            }
            result.iterations = learner.getIteration();
            result.trainSeconds = (System.nanoTime() - started) / 1e9;
            started = System.nanoTime();
            // the same draws for every cell of a seed, whatever ran before it in this process
            Reconstruction.Error error = Reconstruction.of(learner, test, spec.evalImages, root);
            result.mse = error.mse();
            result.mse01 = error.mse01();
            result.evalImages = error.images();
            if (spec.fidSamples > 0) {
                String key =
                        source.cacheKey(
                                spec.fidReal.equals("test") ? Split.TEST : Split.TRAIN,
                                spec.imageSize);
                try (InceptionNetwork net =
                        InceptionNetwork.load(inception, null, featureDim, device)) {
                    result.fid =
                            FidEvaluation.builder()
                                    .setNetwork(net, inception)
                                    .setReal(
                                            fidReal::batch,
                                            Math.min(spec.fidSamples, fidReal.imageCount()),
                                            key)
                                    .setFake(
                                            new GeneratorImages(learner.getModel(), (int) c.seed()),
                                            spec.fidSamples,
                                            "generated")
                                    .optCacheDirectory(cacheDirectory)
                                    .optSeed((int) c.seed())
                                    .optProgress(progress)
                                    .build()
                                    .compute(root)
                                    .fid()
                                    .distance();
                }
            }
            result.evalSeconds = (System.nanoTime() - started) / 1e9;
        }
        result.write(cellDir);
        return result;
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

    /** The cell's training settings: the spec's budget at the cell's K, method and seed. */
    static LearningConfig training(TableSpec spec, TableSpec.Cell cell) {
        LearningRateSchedule schedule;
        try {
            schedule = LearningRateSchedule.valueOf(spec.lrSchedule.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InputException(
                    "spec: budget.lr_schedule must be released, paper or constant, got '"
                            + spec.lrSchedule
                            + "'",
                    e);
        }
        // at the spec's K, s and sigma like every other cell: the same budget, only the
        // inference differs; each method takes those of the spec's options it has, and those
        // the spec leaves out are its published ones
        LearningMethod published = Methods.published(TableSpec.libraryName(cell.method()));
        JsonObject given = new JsonObject();
        given.addProperty("steps", cell.steps());
        given.addProperty("stepSize", spec.stepSize);
        if (spec.klWarmup != null) {
            given.addProperty("klWarmup", spec.klWarmup);
        }
        if (spec.codeLearningRate != null) {
            given.addProperty("codeLearningRate", spec.codeLearningRate);
        }
        JsonObject options = new JsonObject();
        // K is Langevin's steps, or GLO's code steps; another method's steps (the Langevin
        // autoencoders' W updates, a new method's) are its own, not the table's K
        boolean takesK = published.infersInSteps();
        for (String key : Methods.optionNames(published)) {
            if (given.has(key) && (takesK || !(key.equals("steps") || key.equals("stepSize")))) {
                options.add(key, given.get(key));
            }
        }
        try {
            return LearningConfig.builder()
                    .setIterations(spec.iterations)
                    .optBatchSize(spec.batchSize)
                    .optSigma(spec.sigma)
                    .optLearningRate(schedule, spec.lr)
                    .optSeed(cell.seed())
                    .optCheckpointEvery(spec.checkpointEvery)
                    .optMethod(Methods.withOptions(published, options))
                    .build();
        } catch (IllegalArgumentException | InputException e) {
            throw new InputException("spec: " + e.getMessage(), e);
        }
    }

    /** Describes a job; the spec, the directory and the data are required. */
    public static final class Builder {
        private TableSpec spec;
        private Path directory;
        private TableData data;
        private Map<String, Path> dataDirectories = Map.of();
        private Integer cell;
        private Path inception;
        private int featureDim = InceptionNetwork.POOL3_FEATURES;
        private Path cacheDirectory;
        private Consumer<LadderConfig> modelCheck = model -> {};
        private TrainingJob.Listener trainingListener;
        private Progress progress;
        private Device device;
        private Listener listener = new Listener() {};

        private Builder() {}

        /**
         * Sets the spec.
         *
         * @param spec the spec, from {@link TableSpec#read}
         * @return this builder
         */
        public Builder setSpec(TableSpec spec) {
            this.spec = spec;
            return this;
        }

        /**
         * Sets the job directory, where the cells, the spec and the tables go.
         *
         * @param directory the directory
         * @return this builder
         */
        public Builder setDirectory(Path directory) {
            this.directory = directory;
            return this;
        }

        /**
         * Sets where the datasets' images come from.
         *
         * @param data opens a dataset by name
         * @return this builder
         */
        public Builder setData(TableData data) {
            this.data = data;
            return this;
        }

        /**
         * Overrides the spec's {@code data_dirs} (default: none).
         *
         * @param directories per dataset name, its directory
         * @return this builder
         */
        public Builder optDataDirectories(Map<String, Path> directories) {
            this.dataDirectories = Map.copyOf(directories);
            return this;
        }

        /**
         * Runs only one cell (default: all). Cells are numbered from 1 in the spec's order, as
         * {@link TableSpec#cells()} lists them and progress messages count them.
         *
         * @param number the cell's number, or null for all
         * @return this builder
         */
        public Builder optCell(Integer number) {
            this.cell = number;
            return this;
        }

        /**
         * Sets the Inception network for FID; required when the spec's budget asks for FID.
         *
         * @param file the TorchScript file
         * @param featureDim the features per image it must give
         * @return this builder
         */
        public Builder optInception(Path file, int featureDim) {
            this.inception = file;
            this.featureDim = featureDim;
            return this;
        }

        /**
         * Keeps the real images' FID statistics in a directory (default: no cache).
         *
         * @param directory the directory
         * @return this builder
         */
        public Builder optCacheDirectory(Path directory) {
            this.cacheDirectory = directory;
            return this;
        }

        /**
         * Checks each of the grid's models before any cell trains, e.g. the engine's gradients at
         * its shapes (default: none); it throws to stop the job.
         *
         * @param check the check
         * @return this builder
         */
        public Builder optModelCheck(Consumer<LadderConfig> check) {
            this.modelCheck = check;
            return this;
        }

        /**
         * Listens to every cell's training, e.g. a progress bar (default: none).
         *
         * @param trainingListener the listener
         * @return this builder
         */
        public Builder optTrainingListener(TrainingJob.Listener trainingListener) {
            this.trainingListener = trainingListener;
            return this;
        }

        /**
         * Sets the device every cell's parameters, arrays and network go to (default: the engine's
         * default).
         *
         * @param device the device
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Reports FID feature extraction (default: silent).
         *
         * @param progress the progress bar
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Listens to the job's cells (default: silent).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optListener(Listener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Checks everything that can be checked before the engine starts, then takes the lock of
         * every cell the job will run. Nothing is written for a job that is refused.
         *
         * @return the job, holding its cells' locks until closed
         * @throws InputException for a directory that is a file or holds another spec, a missing
         *     network, an unknown dataset directory, a setting no model or training accepts, a cell
         *     number out of range, or a cell another process holds
         * @throws IOException if a lock file cannot be written
         */
        public TableJob build() throws IOException {
            Objects.requireNonNull(spec, "setSpec");
            Objects.requireNonNull(directory, "setDirectory");
            Objects.requireNonNull(data, "setData");
            if (Files.exists(directory) && !Files.isDirectory(directory)) {
                throw new InputException("--out " + directory + " is a file, not a directory");
            }
            Map<String, TableData.Source> sources = new HashMap<>();
            TableJob job = new TableJob(this, sources);
            job.checkSavedSpec(directory.resolve("spec.json"));
            if (spec.fidSamples > 0 && inception == null) {
                throw new InputException(
                        "the spec asks for FID (budget.fid_samples "
                                + spec.fidSamples
                                + "): pass --inception FILE; "
                                + InceptionNetwork.WHERE_TO_GET);
            }
            for (String dataset : spec.datasets) {
                sources.put(dataset, open(dataset));
            }
            for (String name : dataDirectories.keySet()) {
                if (!spec.datasets.contains(name)) {
                    throw new InputException(
                            "--data "
                                    + name
                                    + "=...: the spec has no dataset '"
                                    + name
                                    + "' (it has "
                                    + String.join(", ", spec.datasets)
                                    + ")");
                }
            }
            for (TableSpec.Cell c : job.cells) {
                config(spec, c);
                training(spec, c);
            }
            if (cell != null && (cell < 1 || cell > job.cells.size())) {
                throw new InputException(
                        "--cell must be between 1 and "
                                + job.cells.size()
                                + " (the spec's cells, numbered from 1), got "
                                + cell);
            }
            try {
                for (int number = 1; number <= job.cells.size(); number++) {
                    if (cell == null || cell == number) {
                        String id = job.cells.get(number - 1).id();
                        Path file = directory.resolve("locks").resolve("cell-" + id + ".lock");
                        DirectoryLock lock =
                                DirectoryLock.acquire(
                                        file, "cell " + id + " of job directory " + directory);
                        job.cellLocks.add(lock);
                        if (lock.getStaleOwner() != null) {
                            listener.onStaleLock(file, lock.getStaleOwner());
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                job.close();
                throw e;
            }
            return job;
        }

        private TableData.Source open(String dataset) {
            Path fromCaller = dataDirectories.get(dataset);
            String fromSpec = spec.dataDirs.get(dataset);
            Path directory =
                    fromCaller != null ? fromCaller : fromSpec != null ? Path.of(fromSpec) : null;
            if (directory != null && !Files.isDirectory(directory)) {
                throw new InputException(
                        dataset + " data directory " + directory + " does not exist");
            }
            TableData.Source source = data.open(dataset, directory, spec.celebaFirst);
            if ((dataset.equals("mnist") || dataset.equals("svhn")) && spec.imageSize != 32) {
                throw new InputException(
                        "spec "
                                + spec.source
                                + ": "
                                + dataset
                                + " is evaluated at 32x32; image_size 64 is for celeba only");
            }
            return source;
        }
    }
}
