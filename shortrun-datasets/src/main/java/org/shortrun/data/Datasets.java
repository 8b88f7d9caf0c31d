package org.shortrun.data;

import ai.djl.ndarray.types.Shape;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.shortrun.InputException;

/**
 * The registry of the datasets shortrun reads: one of MNIST, SVHN or CelebA in a directory (or
 * MNIST embedded or downloaded), with the checks a model must pass to be evaluated on it and the
 * key that identifies its splits in caches.
 *
 * <pre>{@code
 * Datasets mnist = Datasets.builder().setName(Datasets.Name.MNIST).build();
 * ImageDataset train = mnist.load(Split.TRAIN, 32);
 * }</pre>
 */
public final class Datasets {

    /** The first images of the embedded MNIST test set that stand in for its training split. */
    public static final int EMBEDDED_TRAIN_COUNT = 9_000;

    /** The datasets shortrun reads, and their image channels. */
    public enum Name {
        /** Handwritten digits, grey. */
        MNIST(1),
        /** House numbers, colour. */
        SVHN(3),
        /** Aligned faces, colour. */
        CELEBA(3);

        private final int channels;

        Name(int channels) {
            this.channels = channels;
        }

        /**
         * The channels of this dataset's images.
         *
         * @return 1 or 3
         */
        public int channels() {
            return channels;
        }

        /**
         * The name as the command writes it.
         *
         * @return lower case
         */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Name name;
    private final Path directory;
    private final boolean download;
    private final boolean svhnExtra;
    private final int celebaFirst;
    private final Path cacheDirectory;
    private final Progress progress;

    private Datasets(Builder b) {
        name = b.name;
        directory = b.directory;
        download = b.download;
        svhnExtra = b.svhnExtra;
        celebaFirst = b.celebaFirst;
        cacheDirectory = b.cacheDirectory;
        progress = b.progress;
    }

    /**
     * Starts a dataset's settings.
     *
     * @return a builder for MNIST, embedded
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads a split for a model: checks that the model's images are of this dataset's kind and
     * size, and that the split holds images.
     *
     * @param split the split
     * @param imageShape one image of the model, {@code [c, h, w]}
     * @return the images, at the model's size
     * @throws InputException if the model does not fit, or the split is empty
     */
    public ImageDataset load(Split split, Shape imageShape) {
        checkModel(imageShape);
        ImageDataset images = load(split, (int) imageShape.get(1));
        if (images.imageCount() == 0) {
            throw new InputException(
                    describe() + " has no " + split.name().toLowerCase(Locale.ROOT) + " images");
        }
        return images;
    }

    /**
     * Loads a split. Without a directory, MNIST's embedded test set stands in for both splits: its
     * first 9,000 images for training and its last 1,000 for testing.
     *
     * @param split train or test (or CelebA's validation)
     * @param imageSize the side images are served at
     * @return the images
     * @throws InputException if the files are missing or malformed, or a download fails
     */
    public ImageDataset load(Split split, int imageSize) {
        switch (name) {
            case SVHN:
                return SvhnImages.fromDirectory(directory, split, svhnExtra, imageSize);
            case CELEBA:
                // CelebaImages itself warns about skipped images
                return loadCeleba(split, imageSize).dataset();
            default:
                break;
        }
        if (directory != null) {
            return MnistImages.fromDirectory(directory, split, imageSize);
        }
        if (download) {
            try {
                return MnistImages.download(split, imageSize);
            } catch (IOException e) {
                throw new InputException("MNIST download failed: " + e.getMessage(), e);
            }
        }
        ImageDataset all = MnistImages.embedded(imageSize);
        return split.requireTrainOrTest("MNIST") == Split.TRAIN
                ? all.slice(0, EMBEDDED_TRAIN_COUNT)
                : all.slice(EMBEDDED_TRAIN_COUNT, MnistImages.EMBEDDED_COUNT);
    }

    /**
     * Loads a CelebA split with what its loading measured (cache use, skipped files, times).
     *
     * @param split the split
     * @param imageSize the side images are served at
     * @return the images and the measurements
     * @throws IllegalStateException if this is not CelebA
     */
    public CelebaImages.Loaded loadCeleba(Split split, int imageSize) {
        if (name != Name.CELEBA) {
            throw new IllegalStateException(label() + " is not celeba");
        }
        return CelebaImages.load(
                directory,
                split,
                imageSize,
                split == Split.TRAIN ? celebaFirst : 0,
                cacheDirectory,
                progress);
    }

    /**
     * Loads a split (building CelebA's cache if it is missing) and measures what that cost, as
     * {@code shortrun prepare} reports it.
     *
     * @param split the split
     * @param imageSize the side images are served at
     * @return the image count, then CelebA's cache use and decoding rate or the load time, then the
     *     seconds it all took
     */
    public Map<String, Object> prepare(Split split, int imageSize) {
        Map<String, Object> report = new LinkedHashMap<>();
        long start = System.nanoTime();
        if (name == Name.CELEBA) {
            CelebaImages.Loaded loaded = loadCeleba(split, imageSize);
            report.put("images", loaded.dataset().imageCount());
            report.put("skipped", loaded.skipped());
            report.put("from_cache", loaded.fromCache());
            if (loaded.fromCache()) {
                report.put("cache_load_seconds", loaded.cacheSeconds());
            } else {
                report.put("decode_seconds", loaded.decodeSeconds());
                report.put("decode_images_per_sec", loaded.decoded() / loaded.decodeSeconds());
            }
            report.put("cache_file", loaded.cacheFile().toString());
        } else {
            report.put("images", load(split, imageSize).imageCount());
            report.put("load_seconds", (System.nanoTime() - start) / 1e9);
        }
        report.put("seconds", (System.nanoTime() - start) / 1e9);
        return report;
    }

    /**
     * Which dataset this is.
     *
     * @return the name
     */
    public Name getName() {
        return name;
    }

    /**
     * The dataset's name as the command writes it.
     *
     * @return {@code mnist}, {@code svhn} or {@code celeba}
     */
    public String label() {
        return name.label();
    }

    /**
     * The channels of the images.
     *
     * @return 1 or 3
     */
    public int imageChannels() {
        return name.channels();
    }

    /**
     * Where the images come from, for messages.
     *
     * @return for example {@code embedded MNIST test set}
     */
    public String describe() {
        return directory != null
                ? label() + " from " + directory
                : download ? "mnist (downloaded)" : "embedded MNIST test set";
    }

    /**
     * Identifies the images a run trains on, as its checkpoint records them so that a resumed run
     * cannot silently train on others: the dataset, its directory made absolute, and the options
     * that choose images.
     *
     * @return for example {@code mnist from /data/mnist} or {@code embedded MNIST test set}
     */
    public String identity() {
        String source =
                directory != null
                        ? label() + " from " + directory.toAbsolutePath().normalize()
                        : describe();
        return source
                + (svhnExtra ? ", with extra_32x32.mat" : "")
                + (celebaFirst > 0 ? ", first " + celebaFirst + " images" : "");
    }

    /**
     * Identifies a split's images for caches: dataset, source, split, the options that choose
     * images, and the side they are served at.
     *
     * @param split the split
     * @param side the side images are served at
     * @return the key
     */
    public String cacheKey(Split split, int side) {
        String source =
                directory != null
                        ? directory.toAbsolutePath().normalize().toString()
                        : download ? "download" : "embedded";
        return "dataset="
                + label()
                + ";source="
                + source
                + ";split="
                + split.name().toLowerCase(Locale.ROOT)
                + ";extra="
                + svhnExtra
                + ";first="
                + (split == Split.TRAIN ? celebaFirst : 0)
                + ";size="
                + side;
    }

    /**
     * Refuses a model that does not generate images of this dataset's kind: other channels, or
     * another size than the one it is evaluated at (32 for MNIST and SVHN, as in the paper; 32 or
     * 64 for CelebA).
     *
     * @param imageShape one image of the model, {@code [c, h, w]}
     * @throws InputException if it does not fit
     */
    public void checkModel(Shape imageShape) {
        checkChannels((int) imageShape.get(0));
        if (imageShape.get(1) != imageShape.get(2)) {
            throw new InputException(
                    "the checkpoint generates "
                            + imageShape.get(2)
                            + "x"
                            + imageShape.get(1)
                            + " images, and "
                            + label()
                            + "'s are square");
        }
        checkImageSize((int) imageShape.get(1), "the checkpoint generates");
    }

    /**
     * Refuses a model whose images have other channels than this dataset's.
     *
     * @param channels the model's image channels
     * @throws InputException if they differ
     */
    public void checkChannels(int channels) {
        if (channels != imageChannels()) {
            throw new InputException(
                    "the model has "
                            + channels
                            + " image channels but "
                            + describe()
                            + " has "
                            + imageChannels());
        }
    }

    /**
     * Refuses images of a side this dataset is not evaluated at.
     *
     * @param side the side
     * @param what how the message starts, for example {@code the checkpoint generates}
     * @throws InputException if the side does not fit
     */
    public void checkImageSize(int side, String what) {
        boolean ok = name == Name.CELEBA ? side == 32 || side == 64 : side == 32;
        if (!ok) {
            throw new InputException(
                    what
                            + " "
                            + side
                            + "x"
                            + side
                            + " images but "
                            + label()
                            + " is evaluated at 32x32"
                            + (name == Name.CELEBA
                                    ? " or 64x64"
                                    : " (only celeba has a 64x64 setting)"));
        }
    }

    /** The settings of {@link Datasets}. */
    public static final class Builder {
        private Name name = Name.MNIST;
        private Path directory;
        private boolean download;
        private boolean svhnExtra;
        private int celebaFirst;
        private Path cacheDirectory =
                Path.of(System.getProperty("user.home"), ".cache", "shortrun");
        private Progress progress;

        private Builder() {}

        /**
         * Sets the dataset (default MNIST).
         *
         * @param name the dataset
         * @return this builder
         */
        public Builder setName(Name name) {
            this.name = name;
            return this;
        }

        /**
         * Sets the directory with the dataset's files (MNIST's default: its embedded test set).
         *
         * @param directory the directory, or null
         * @return this builder
         */
        public Builder optDirectory(Path directory) {
            this.directory = directory;
            return this;
        }

        /**
         * Downloads MNIST through DJL when no directory is given.
         *
         * @param download whether to
         * @return this builder
         */
        public Builder optDownload(boolean download) {
            this.download = download;
            return this;
        }

        /**
         * SVHN: adds extra_32x32.mat to the training split.
         *
         * @param svhnExtra whether to
         * @return this builder
         */
        public Builder optSvhnExtra(boolean svhnExtra) {
            this.svhnExtra = svhnExtra;
            return this;
        }

        /**
         * CelebA: trains on the first N images in file order (0: all).
         *
         * @param celebaFirst N
         * @return this builder
         */
        public Builder optCelebaFirst(int celebaFirst) {
            this.celebaFirst = celebaFirst;
            return this;
        }

        /**
         * CelebA: where decoded images are cached (default ~/.cache/shortrun).
         *
         * @param cacheDirectory the directory
         * @return this builder
         */
        public Builder optCacheDirectory(Path cacheDirectory) {
            this.cacheDirectory = cacheDirectory;
            return this;
        }

        /**
         * CelebA: reports decoding progress here.
         *
         * @param progress the callback, or null
         * @return this builder
         */
        public Builder optProgress(Progress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Checks what can be checked before anything is read.
         *
         * @return the dataset
         * @throws InputException if CelebA's count is negative, or a dataset without an embedded
         *     copy has no directory
         */
        public Datasets build() {
            if (celebaFirst < 0) {
                throw new InputException(
                        "--celeba-first must be 0 (all) or more, got " + celebaFirst);
            }
            if (name != Name.MNIST && directory == null) {
                throw new InputException(
                        "--dataset "
                                + name.label()
                                + " needs --data-dir (there is no embedded copy or download)");
            }
            return new Datasets(this);
        }
    }
}
