package org.shortrun.eval.fid;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.shortrun.ImageSource;
import org.shortrun.InputException;
import org.shortrun.data.Datasets;
import org.shortrun.data.ImageFiles;
import org.shortrun.data.Split;
import org.shortrun.training.Checkpoint;

/**
 * FID (and KID) of a checkpoint's prior samples or of a folder of images against real images, as
 * {@code shortrun fid} measures it: {@link Builder#build} reads and checks both sides without the
 * engine, {@link #run} loads the real images, extracts the features and reports.
 *
 * <pre>{@code
 * Map<String, Object> report = FidJob.builder()
 *         .setFakeDirectory(Path.of("samples"))
 *         .setRealDirectory(Path.of("real"))
 *         .setInception(Path.of("pt_inception-2015-12-05.pt"))
 *         .build()
 *         .run()
 *         .report();
 * }</pre>
 */
public final class FidJob {

    /** Generated images a checkpoint is scored on unless told otherwise, as the paper. */
    public static final int DEFAULT_SAMPLES = 40_000;

    /**
     * What a job found.
     *
     * @param measured the distances
     * @param report the report: distances, both sides, the cache's use, the network and times
     */
    public record Result(FidEvaluation.Result measured, Map<String, Object> report) {}

    /** The real images: a split of a dataset, or a folder. */
    private record RealSide(String description, String key, Supplier<ImageSource> loader) {}

    private final Builder b;
    private final Checkpoint checkpoint;
    private final ImageFiles fakeFiles;
    private final int fakeCount;
    private final RealSide realSide;

    private FidJob(
            Builder b,
            Checkpoint checkpoint,
            ImageFiles fakeFiles,
            int fakeCount,
            RealSide realSide) {
        this.b = b;
        this.checkpoint = checkpoint;
        this.fakeFiles = fakeFiles;
        this.fakeCount = fakeCount;
        this.realSide = realSide;
    }

    /**
     * Starts a job's settings.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses the network's convention as the command takes it.
     *
     * @param option the option the text came from, which the message names
     * @param text {@code auto}, {@code tf-nvidia} or {@code pytorch-fid}
     * @return the convention, or null for auto (from the file's code)
     * @throws InputException if the text is none of these
     */
    public static InceptionNetwork.Convention parseConvention(String option, String text) {
        switch (text.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "auto":
                return null;
            case "tf-nvidia":
                return InceptionNetwork.Convention.TF_NVIDIA;
            case "pytorch-fid":
                return InceptionNetwork.Convention.PYTORCH_FID;
            default:
                throw new InputException(
                        option + " must be auto, tf-nvidia or pytorch-fid, got '" + text + "'");
        }
    }

    /**
     * The number of images scored on the generated (or given) side.
     *
     * @return at least 2
     */
    public int getFakeCount() {
        return fakeCount;
    }

    /**
     * Loads the real images, extracts both sides' features (or reads the real ones from the cache)
     * and computes the distances. Starts the engine if it has not started.
     *
     * @return the distances and the report
     * @throws IOException if the network or the cache cannot be read or written
     * @throws InputException if there are fewer than 2 real images
     */
    public Result run() throws IOException {
        return run(null);
    }

    /**
     * {@link #run()} on a device: the generator, the network and every array.
     *
     * @param device the device, or null for the engine's default
     * @return the distances and the report
     * @throws IOException if the network or the cache cannot be read or written
     * @throws InputException if there are fewer than 2 real images
     */
    public Result run(Device device) throws IOException {
        ImageSource realImages = realSide.loader().get();
        int nReal =
                Math.min(b.realCount != null ? b.realCount : fakeCount, realImages.imageCount());
        if (nReal < 2) {
            throw new InputException("FID needs at least 2 real images, got " + nReal);
        }
        long started = System.nanoTime();
        Map<String, Object> line = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(device);
                InceptionNetwork net =
                        InceptionNetwork.load(b.inception, b.convention, b.featureDim, device)) {
            FidEvaluation.Builder fid =
                    FidEvaluation.builder()
                            .setNetwork(net, b.inception)
                            .setReal(realImages::batch, nReal, realSide.key())
                            .optCacheDirectory(b.cacheDirectory)
                            .optSeed(b.seed)
                            .optBatchSize(b.batchSize)
                            .optProgress(b.progress);
            if (checkpoint != null) {
                fid.setFake(
                        GeneratorImages.of(checkpoint, manager, b.seed), fakeCount, "generated");
            } else {
                fid.setFake(fakeFiles::batch, fakeCount, "fake");
            }
            if (b.kidSubsets > 0) {
                fid.optKid(b.kidSubsets, b.kidSubsetSize, b.kidPool);
            }
            FidEvaluation.Result result = fid.build().compute(manager);
            line.put("fid", result.fid().distance());
            if (result.kid() != null) {
                line.put("kid", result.kid().mean());
                line.put("kid_std", result.kid().std());
                line.put("kid_subsets", result.kid().subsets());
                line.put("kid_subset_size", result.kid().subsetSize());
            }
            line.put(
                    "fake",
                    checkpoint != null
                            ? "checkpoint "
                                    + checkpoint.getDirectory()
                                    + " at iteration "
                                    + checkpoint.getIteration()
                            : fakeFiles.getDirectory().toString());
            line.put("fake_count", fakeCount);
            line.put("real", realSide.description());
            line.put("real_count", nReal);
            line.put("real_cache", result.realCache());
            line.put("inception", b.inception.toString());
            line.put("convention", net.getConvention().label());
            line.put("feature_dim", b.featureDim);
            line.put("mean_term", result.fid().meanTerm());
            line.put("offset_added", result.fid().offsetAdded());
            line.put("frechet_seconds", result.frechetSeconds());
            line.put("seconds", (System.nanoTime() - started) / 1e9);
            return new Result(result, line);
        }
    }

    /** The settings of a {@link FidJob}: one fake side, the real side, and the network. */
    public static final class Builder {
        private Path checkpoint;
        private Path fakeDirectory;
        private Integer samples;
        private String real = "train";
        private Datasets.Builder dataset = Datasets.builder();
        private Integer realCount;
        private Path inception;
        private InceptionNetwork.Convention convention;
        private int featureDim = InceptionNetwork.POOL3_FEATURES;
        private int batchSize = 50;
        private int kidSubsets;
        private int kidSubsetSize;
        private int kidPool;
        private Path cacheDirectory;
        private int seed = 1;
        private Progress progress;

        private Builder() {}

        /**
         * Scores samples from the prior of a checkpoint's model.
         *
         * @param checkpoint a run directory or its checkpoint/
         * @return this builder
         */
        public Builder setCheckpoint(Path checkpoint) {
            this.checkpoint = checkpoint;
            return this;
        }

        /**
         * Scores the PNG/JPEG images in a folder instead.
         *
         * @param directory the folder
         * @return this builder
         */
        public Builder setFakeDirectory(Path directory) {
            this.fakeDirectory = directory;
            return this;
        }

        /**
         * Sets how many images are generated (default 40,000), or at most how many are read from
         * the fake folder (default all).
         *
         * @param samples the count, or null for the default
         * @return this builder
         */
        public Builder optSamples(Integer samples) {
            this.samples = samples;
            return this;
        }

        /**
         * Takes the real images from a split of a dataset (default: embedded MNIST's training
         * split). The dataset's settings are checked only if a split is chosen.
         *
         * @param dataset the dataset's settings
         * @param split {@code train} or {@code test}, or else a folder of images
         * @return this builder
         */
        public Builder setReal(Datasets.Builder dataset, String split) {
            this.dataset = dataset;
            this.real = split;
            return this;
        }

        /**
         * Takes the real images from a folder.
         *
         * @param directory the folder
         * @return this builder
         */
        public Builder setRealDirectory(Path directory) {
            this.real = directory.toString();
            return this;
        }

        /**
         * Sets how many real images are used, from the first (default: as many as the other side,
         * at most all).
         *
         * @param realCount the count, or null for the default
         * @return this builder
         */
        public Builder optRealCount(Integer realCount) {
            this.realCount = realCount;
            return this;
        }

        /**
         * Sets the TorchScript Inception-v3 file.
         *
         * @param file NVIDIA's inception-2015-12-05.pt or a traced pytorch-fid network
         * @return this builder
         */
        public Builder setInception(Path file) {
            this.inception = file;
            return this;
        }

        /**
         * Sets the network's convention (default null: from the file's code).
         *
         * @param convention the convention, or null
         * @return this builder
         */
        public Builder optConvention(InceptionNetwork.Convention convention) {
            this.convention = convention;
            return this;
        }

        /**
         * Sets the features per image the network must give (default 2048, pool_3).
         *
         * @param featureDim the count
         * @return this builder
         */
        public Builder optFeatureDim(int featureDim) {
            this.featureDim = featureDim;
            return this;
        }

        /**
         * Sets the images per Inception batch (default 50).
         *
         * @param batchSize the count
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Also computes KID.
         *
         * @param subsets subsets averaged over
         * @param subsetSize vectors per subset and side
         * @param pool feature vectors kept per side
         * @return this builder
         */
        public Builder optKid(int subsets, int subsetSize, int pool) {
            this.kidSubsets = subsets;
            this.kidSubsetSize = subsetSize;
            this.kidPool = pool;
            return this;
        }

        /**
         * Keeps the real statistics in a cache directory (default: none).
         *
         * @param directory the directory, or null
         * @return this builder
         */
        public Builder optCacheDirectory(Path directory) {
            this.cacheDirectory = directory;
            return this;
        }

        /**
         * Sets the seed of the samples and of KID's subsets (default 1).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(int seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Reports feature extraction.
         *
         * @param progress the callback, or null
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Reads the checkpoint or opens the fake folder, counts, and chooses and checks the real
         * side; nothing here needs the engine.
         *
         * @return the job
         * @throws InputException if a side is missing, too small, or of another size or kind
         */
        public FidJob build() {
            if ((checkpoint == null) == (fakeDirectory == null)) {
                throw new InputException(
                        "give exactly one of --checkpoint (to generate images) or --fake-dir"
                                + " (images made elsewhere)");
            }
            if (inception == null) {
                throw new InputException(
                        "--inception FILE is required: " + InceptionNetwork.WHERE_TO_GET);
            }
            if (featureDim <= 0 || batchSize <= 0) {
                throw new InputException(
                        "the feature size and the batch size must be positive, got "
                                + featureDim
                                + " and "
                                + batchSize);
            }
            if (kidSubsets < 0 || kidPool < 0) {
                throw new InputException("KID's subsets and pool must be positive");
            }
            if (kidSubsets > 0 && kidSubsetSize < 2) {
                throw new InputException(
                        "--kid-subset-size must be at least 2, got " + kidSubsetSize);
            }
            Checkpoint cp = checkpoint != null ? Checkpoint.read(checkpoint) : null;
            ImageFiles fakeFiles = fakeDirectory != null ? ImageFiles.open(fakeDirectory) : null;
            if (fakeFiles != null
                    && fakeFiles.imageShape().get(1) != fakeFiles.imageShape().get(2)) {
                throw new InputException(
                        fakeDirectory
                                + " holds "
                                + fakeFiles.imageShape().get(2)
                                + "x"
                                + fakeFiles.imageShape().get(1)
                                + " images; they must be square");
            }
            int fakeCount =
                    cp != null
                            ? (samples != null ? samples : DEFAULT_SAMPLES)
                            : Math.min(
                                    samples != null ? samples : Integer.MAX_VALUE,
                                    fakeFiles.imageCount());
            if (fakeCount < 2) {
                throw new InputException("FID needs at least 2 generated images, got " + fakeCount);
            }
            int side =
                    cp != null
                            ? (int) cp.getImageShape().get(1)
                            : (int) fakeFiles.imageShape().get(1);
            return new FidJob(this, cp, fakeFiles, fakeCount, realSide(cp, side, fakeFiles));
        }

        private RealSide realSide(Checkpoint cp, int side, ImageFiles fakeFiles) {
            String lower = real.toLowerCase(Locale.ROOT);
            if (lower.equals("train") || lower.equals("test")) {
                Split split = lower.equals("train") ? Split.TRAIN : Split.TEST;
                Datasets d = dataset.build();
                if (cp != null) {
                    d.checkModel(cp.getImageShape());
                } else {
                    d.checkImageSize(side, fakeFiles.getDirectory() + " holds");
                }
                return new RealSide(
                        d.label() + " " + lower,
                        d.cacheKey(split, side),
                        () -> d.load(split, side));
            }
            Path dir = Path.of(real);
            if (!Files.isDirectory(dir)) {
                throw new InputException(
                        "--real must be train, test or a folder of images; "
                                + real
                                + " is none of these");
            }
            ImageFiles files = ImageFiles.open(dir);
            long realSize = files.imageShape().get(1);
            if (realSize != side || files.imageShape().get(2) != side) {
                throw new InputException(
                        (cp != null
                                        ? "the checkpoint generates " + side + "x" + side
                                        : fakeFiles.getDirectory() + " holds " + side + "-pixel")
                                + " images but "
                                + dir
                                + " holds "
                                + files.imageShape().get(2)
                                + "x"
                                + realSize
                                + " ones");
            }
            return new RealSide(dir.toString(), files.cacheKey(), () -> files);
        }
    }
}
