package org.shortrun.data;

import ai.djl.util.Progress;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.shortrun.InputException;
import org.shortrun.io.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aligned CelebA: {@code img_align_celeba/} (JPEG, 178 x 218) or {@code img_align_celeba.zip}
 * holding it, with {@code list_eval_partition.txt} for the splits (0 train, 1 validation, 2 test).
 * Images are preprocessed as the authors did (shorter side resized to the target, centre crop),
 * decoded in parallel, and cached in one file keyed by source, split, size and preprocessing.
 * Unreadable JPEGs, and zip entries whose CRC-32 or size differs from the archive's, are skipped
 * and counted in a warning. Every line of the partition file must parse; images it does not list,
 * and images of the split it lists that are absent, are counted in warnings.
 */
public final class CelebaImages {

    /** The folder of aligned images. */
    public static final String FOLDER = "img_align_celeba";

    /** The same folder as a zip archive. */
    public static final String ZIP = FOLDER + ".zip";

    /** The partition file. */
    public static final String PARTITION = "list_eval_partition.txt";

    private static final Logger logger = LoggerFactory.getLogger(CelebaImages.class);

    /** The largest zip entry read as an image (aligned CelebA's are about 10 KB). */
    static final long MAX_IMAGE_BYTES = 64L << 20;

    /** The largest partition file read. */
    static final long MAX_PARTITION_BYTES = 64L << 20;

    private static final String PREPROCESSING =
            "resize-shorter-side-antialiased-bilinear,center-crop,v1";

    /**
     * A loaded split with what it cost.
     *
     * @param dataset the images
     * @param decoded images decoded (0 when read from the cache)
     * @param skipped unreadable images skipped
     * @param decodeSeconds seconds spent decoding, resizing and cropping
     * @param fromCache whether the images came from the cache
     * @param cacheSeconds seconds spent reading the cache (0 if not used)
     * @param cacheFile the cache file used
     */
    public record Loaded(
            ImageDataset dataset,
            int decoded,
            int skipped,
            double decodeSeconds,
            boolean fromCache,
            double cacheSeconds,
            Path cacheFile) {}

    private CelebaImages() {}

    /**
     * Loads a split, from the cache when it is valid.
     *
     * @param directory the directory holding the images (folder or zip) and the partition file
     * @param split TRAIN (partition 0), VALIDATION (partition 1) or TEST (partition 2)
     * @param imageSize the output side (32 or 64)
     * @param first if positive, only the first this many images of the split in sorted file order
     *     (the released script took 40,000)
     * @param cacheDirectory where the cache file lives
     * @return the split and its costs
     * @throws InputException naming the file and the problem
     */
    public static Loaded load(
            Path directory, Split split, int imageSize, int first, Path cacheDirectory) {
        return load(directory, split, imageSize, first, cacheDirectory, null);
    }

    /**
     * Loads a split, from the cache when it is valid, telling {@code progress} of every image
     * decoded when it is not.
     *
     * @param directory the directory holding the images (folder or zip) and the partition file
     * @param split TRAIN (partition 0), VALIDATION (partition 1) or TEST (partition 2)
     * @param imageSize the output side (32 or 64)
     * @param first if positive, only the first this many images of the split in sorted file order
     * @param cacheDirectory where the cache file lives
     * @param progress told the number of images, then of each one decoded; may be null
     * @return the split and its costs
     * @throws InputException naming the file and the problem
     */
    public static Loaded load(
            Path directory,
            Split split,
            int imageSize,
            int first,
            Path cacheDirectory,
            Progress progress) {
        if (!Files.isDirectory(directory)) {
            throw new InputException("data directory " + directory + " does not exist");
        }
        Path partitionFile = directory.resolve(PARTITION);
        if (!Files.isRegularFile(partitionFile)) {
            throw new InputException(
                    "data directory "
                            + directory
                            + " has no "
                            + PARTITION
                            + " (CelebA's split file)");
        }
        try (Source source = Source.open(directory)) {
            List<String> names =
                    select(source, readPartition(partitionFile), split, first, directory);
            String key =
                    String.join(
                            "|",
                            "celeba",
                            source.describe(),
                            "partition=" + Sha256.hex(readBytes(partitionFile)),
                            "split=" + split,
                            "first=" + first,
                            "size=" + imageSize,
                            "prep=" + PREPROCESSING);
            Path cacheFile =
                    cacheDirectory.resolve("celeba-" + Sha256.hex(key).substring(0, 16) + ".bin");
            long start = System.nanoTime();
            ImageCache.Images cached = ImageCache.load(cacheFile, key);
            if (cached != null) {
                return new Loaded(
                        dataset(cached, imageSize),
                        0,
                        0,
                        0,
                        true,
                        (System.nanoTime() - start) / 1e9,
                        cacheFile);
            }
            start = System.nanoTime();
            Decoded decoded = decode(source, names, imageSize, progress);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (decoded.images.count() == 0) {
                throw new InputException(
                        directory
                                + ": none of the "
                                + names.size()
                                + " images of the "
                                + split.name().toLowerCase(Locale.ROOT)
                                + " split could be read");
            }
            ImageCache.store(cacheFile, key, decoded.images);
            return new Loaded(
                    dataset(decoded.images, imageSize),
                    names.size(),
                    decoded.skipped,
                    seconds,
                    false,
                    0,
                    cacheFile);
        } catch (IOException e) {
            throw new InputException(
                    directory + ": cannot read CelebA (" + e.getMessage() + ")", e);
        }
    }

    private static ImageDataset dataset(ImageCache.Images images, int imageSize) {
        return ImageDataset.builder()
                .setImages(images.pixels(), images.count(), images.channels(), images.side())
                .optImageSize(imageSize)
                .build();
    }

    /**
     * Reads the partition file. Every line must be an image name and 0, 1 or 2, each name once, so
     * that a misspelt or cut line stops the run instead of moving an image out of its split.
     */
    static Map<String, Integer> readPartition(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_PARTITION_BYTES) {
                throw new InputException(
                        file
                                + " is "
                                + size
                                + " bytes, too large for a partition file (CelebA's is 2.8 MB)");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        Map<String, Integer> partition = new HashMap<>();
        String[] lines = new String(bytes, StandardCharsets.ISO_8859_1).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            String[] parts = line.split("[ \t]+");
            if (parts.length != 2
                    || !parts[1].matches("[012]")
                    || !isImage(parts[0])
                    || !parts[0].matches("[\\x21-\\x7e]+")) {
                throw new InputException(
                        where + "expected 'NAME.jpg 0|1|2', got '" + printable(line) + "'");
            }
            if (partition.put(parts[0], Integer.parseInt(parts[1])) != null) {
                throw new InputException(where + parts[0] + " is listed twice");
            }
        }
        if (partition.isEmpty()) {
            throw new InputException(file + " lists no images");
        }
        return partition;
    }

    /**
     * A line as it can be shown on one line of a terminal: at most 80 characters, controls as '?'.
     */
    private static String printable(String line) {
        String cut = line.length() > 80 ? line.substring(0, 80) + "..." : line;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static List<String> select(
            Source source, Map<String, Integer> partition, Split split, int first, Path directory) {
        List<String> all = source.names();
        if (all.isEmpty()) {
            throw new InputException(
                    "data directory " + directory + " has no images in " + FOLDER + "/ or " + ZIP);
        }
        int code =
                switch (split) {
                    case TRAIN -> 0;
                    case VALIDATION -> 1;
                    case TEST -> 2;
                };
        List<String> names = new ArrayList<>();
        List<String> unlisted = new ArrayList<>();
        for (String name : all) {
            Integer p = partition.get(name);
            if (p == null) {
                unlisted.add(name);
            } else if (p == code) {
                names.add(name);
            }
        }
        if (!unlisted.isEmpty()) {
            logger.warn(
                    "{} image(s) in {} are not listed in {} and belong to no split: {}",
                    unlisted.size(),
                    source.where(),
                    PARTITION,
                    firstFew(unlisted));
        }
        java.util.Set<String> present = new java.util.HashSet<>(all);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Integer> e : partition.entrySet()) {
            if (e.getValue() == code && !present.contains(e.getKey())) {
                missing.add(e.getKey());
            }
        }
        if (!missing.isEmpty()) {
            Collections.sort(missing);
            logger.warn(
                    "{} image(s) of the {} split listed in {} are not in {}: {}",
                    missing.size(),
                    split.name().toLowerCase(Locale.ROOT),
                    PARTITION,
                    source.where(),
                    firstFew(missing));
        }
        if (names.isEmpty()) {
            throw new InputException(
                    directory
                            + ": no images of the "
                            + split.name().toLowerCase(Locale.ROOT)
                            + " split (partition "
                            + code
                            + " in "
                            + PARTITION
                            + ")");
        }
        return first > 0 && first < names.size() ? new ArrayList<>(names.subList(0, first)) : names;
    }

    private static String firstFew(List<String> names) {
        return String.join(", ", names.subList(0, Math.min(5, names.size())))
                + (names.size() > 5 ? ", ..." : "");
    }

    private record Decoded(ImageCache.Images images, int skipped) {}

    /** What became of one image. */
    private static final byte UNREAD = 0;

    private static final byte DECODED = 1;
    private static final byte DAMAGED = 2;

    private static Decoded decode(Source source, List<String> names, int size, Progress progress)
            throws IOException {
        int n = names.size();
        int image = 3 * size * size;
        byte[] pixels = new byte[n * image];
        byte[] outcome = new byte[n];
        AtomicInteger next = new AtomicInteger();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool =
                Executors.newFixedThreadPool(
                        threads,
                        r -> {
                            Thread t = new Thread(r, "celeba-decode");
                            t.setDaemon(true);
                            return t;
                        });
        if (progress != null) {
            progress.reset("decoding CelebA", n);
        }
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(
                        pool.submit(
                                () -> {
                                    for (int i = next.getAndIncrement();
                                            i < n;
                                            i = next.getAndIncrement()) {
                                        BufferedImage img;
                                        try {
                                            img = readImage(source, names.get(i));
                                        } catch (DamagedEntryException e) {
                                            outcome[i] = DAMAGED;
                                            img = null;
                                        }
                                        if (img != null) {
                                            int w = img.getWidth();
                                            int h = img.getHeight();
                                            ResizeCrop.apply(
                                                    img.getRGB(0, 0, w, h, null, 0, w),
                                                    w,
                                                    h,
                                                    size,
                                                    pixels,
                                                    i * image);
                                            outcome[i] = DECODED;
                                        }
                                        if (progress != null) {
                                            synchronized (progress) {
                                                progress.increment(1);
                                            }
                                        }
                                    }
                                    return null;
                                }));
            }
            for (Future<Void> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while decoding", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
            if (progress != null) {
                progress.end();
            }
        }
        List<String> skipped = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < n; i++) {
            if (outcome[i] == DECODED) {
                if (at != i) {
                    System.arraycopy(pixels, i * image, pixels, at * image, image);
                }
                at++;
            } else {
                (outcome[i] == DAMAGED ? damaged : skipped).add(names.get(i));
            }
        }
        if (!damaged.isEmpty()) {
            logger.warn(
                    "skipped {} image(s) of {} in {} whose CRC-32 or size does not match the"
                            + " archive's (the zip is damaged): {}",
                    damaged.size(),
                    n,
                    source.where(),
                    firstFew(damaged));
        }
        if (!skipped.isEmpty()) {
            logger.warn(
                    "skipped {} unreadable image(s) of {}: {}",
                    skipped.size(),
                    n,
                    firstFew(skipped));
        }
        byte[] trimmed = at == n ? pixels : java.util.Arrays.copyOf(pixels, at * image);
        return new Decoded(
                new ImageCache.Images(trimmed, at, 3, size), skipped.size() + damaged.size());
    }

    /**
     * Decodes one image, or returns null if it is unreadable or larger than {@link
     * ImageFiles#MAX_PIXELS}.
     */
    private static BufferedImage readImage(Source source, String name)
            throws DamagedEntryException {
        // An in-memory image stream: ImageIO's default may back each stream with a temporary file.
        try (InputStream in = source.open(name);
                ImageInputStream stream = new MemoryCacheImageInputStream(in)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                // the header's size, before a raster of that size is allocated
                if ((long) reader.getWidth(0) * reader.getHeight(0) > ImageFiles.MAX_PIXELS) {
                    return null;
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (DamagedEntryException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A zip entry whose bytes are not those the archive recorded. */
    private static final class DamagedEntryException extends IOException {
        private static final long serialVersionUID = 1L;

        DamagedEntryException(String message) {
            super(message);
        }
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static boolean isImage(String name) {
        return ImageFiles.isImageName(name);
    }

    /** Where the images are: a folder or a zip. */
    private interface Source extends AutoCloseable {
        List<String> names();

        InputStream open(String name) throws IOException;

        /** The folder or zip, for messages. */
        Path where();

        /** What identifies this source's content for the cache key. */
        String describe();

        @Override
        void close() throws IOException;

        static Source open(Path directory) throws IOException {
            Path folder = directory.resolve(FOLDER);
            if (Files.isDirectory(folder)) {
                return new FolderSource(folder);
            }
            Path zip = directory.resolve(ZIP);
            if (Files.isRegularFile(zip)) {
                return new ZipSource(zip);
            }
            throw new InputException(
                    "data directory " + directory + " has neither " + FOLDER + "/ nor " + ZIP);
        }
    }

    private static final class FolderSource implements Source {
        private final Path folder;
        private final List<String> names = new ArrayList<>();
        private long bytes;
        private long newest;

        FolderSource(Path folder) throws IOException {
            this.folder = folder;
            try (Stream<Path> files = Files.list(folder)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    String name = p.getFileName().toString();
                    if (isImage(name) && Files.isRegularFile(p)) {
                        names.add(name);
                        bytes += Files.size(p);
                        newest = Math.max(newest, Files.getLastModifiedTime(p).toMillis());
                    }
                }
            }
            Collections.sort(names);
        }

        @Override
        public List<String> names() {
            return names;
        }

        @Override
        public InputStream open(String name) throws IOException {
            return Files.newInputStream(folder.resolve(name));
        }

        @Override
        public Path where() {
            return folder;
        }

        @Override
        public String describe() {
            return "folder="
                    + folder.toAbsolutePath().normalize()
                    + ",files="
                    + names.size()
                    + ",bytes="
                    + bytes
                    + ",newest="
                    + newest;
        }

        @Override
        public void close() {}
    }

    private static final class ZipSource implements Source {
        private final Path path;
        private final ZipFile zip;
        private final Map<String, ZipEntry> entries = new HashMap<>();
        private final List<String> names = new ArrayList<>();

        ZipSource(Path path) throws IOException {
            this.path = path;
            List<? extends ZipEntry> all;
            try {
                zip = new ZipFile(path.toFile());
            } catch (IOException | RuntimeException e) {
                throw new InputException(
                        path + " is not a readable zip archive (" + e.getMessage() + ")", e);
            }
            try {
                all = Collections.list(zip.entries());
            } catch (RuntimeException e) {
                zip.close();
                throw new InputException(
                        path + " is not a readable zip archive (" + e.getMessage() + ")", e);
            }
            for (ZipEntry e : all) {
                String full = e.getName();
                String name = full.substring(full.lastIndexOf('/') + 1);
                if (!e.isDirectory() && isImage(name) && entries.put(name, e) == null) {
                    names.add(name);
                }
            }
            Collections.sort(names);
        }

        @Override
        public List<String> names() {
            return names;
        }

        /**
         * Reads the entry whole and checks its size and CRC-32 against the central directory, since
         * ZipFile does neither and ImageIO would decode damaged bytes.
         */
        @Override
        public InputStream open(String name) throws IOException {
            ZipEntry entry = entries.get(name);
            long size = entry.getSize();
            if (size < 0 || size > MAX_IMAGE_BYTES) {
                throw new DamagedEntryException(name + " is " + size + " bytes");
            }
            byte[] bytes;
            try (InputStream in = zip.getInputStream(entry)) {
                bytes = in.readNBytes((int) size + 1);
            } catch (java.util.zip.ZipException | java.io.EOFException e) {
                throw new DamagedEntryException(name + ": " + e.getMessage());
            }
            CRC32 crc = new CRC32();
            crc.update(bytes);
            if (bytes.length != size || crc.getValue() != entry.getCrc()) {
                throw new DamagedEntryException(name + " does not match its CRC-32 or size");
            }
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public Path where() {
            return path;
        }

        @Override
        public String describe() {
            try {
                return "zip="
                        + path.toAbsolutePath().normalize()
                        + ",bytes="
                        + Files.size(path)
                        + ",modified="
                        + Files.getLastModifiedTime(path).toMillis();
            } catch (IOException e) {
                return "zip=" + path.toAbsolutePath().normalize();
            }
        }

        @Override
        public void close() throws IOException {
            zip.close();
        }
    }
}
