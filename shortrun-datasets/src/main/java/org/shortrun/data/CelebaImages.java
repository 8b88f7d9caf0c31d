package org.shortrun.data;

import ai.djl.util.Progress;

import org.shortrun.InputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Aligned CelebA: {@code img_align_celeba/} (JPEG, 178 x 218) or {@code img_align_celeba.zip}
 * holding it, with {@code list_eval_partition.txt} for the splits (0 train, 1 validation, 2
 * test). Images are preprocessed as the authors did (shorter side resized to the target, centre
 * crop), decoded in parallel, and cached in one file keyed by source, split, size and
 * preprocessing. Unreadable JPEGs are skipped and counted in a warning.
 */
public final class CelebaImages {

    /** The folder of aligned images. */
    public static final String FOLDER = "img_align_celeba";

    /** The same folder as a zip archive. */
    public static final String ZIP = FOLDER + ".zip";

    /** The partition file. */
    public static final String PARTITION = "list_eval_partition.txt";

    private static final Logger logger = LoggerFactory.getLogger(CelebaImages.class);
    private static final String PREPROCESSING = "resize-shorter-side-antialiased-bilinear,center-crop,v1";

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
            ImageDataset dataset, int decoded, int skipped, double decodeSeconds, boolean fromCache, double cacheSeconds, Path cacheFile) {}

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
    public static Loaded load(Path directory, Split split, int imageSize, int first, Path cacheDirectory) {
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
    public static Loaded load(Path directory, Split split, int imageSize, int first, Path cacheDirectory, Progress progress) {
        if (!Files.isDirectory(directory)) {
            throw new InputException("data directory " + directory + " does not exist");
        }
        Path partitionFile = directory.resolve(PARTITION);
        if (!Files.isRegularFile(partitionFile)) {
            throw new InputException("data directory " + directory + " has no " + PARTITION + " (CelebA's split file)");
        }
        try (Source source = Source.open(directory)) {
            List<String> names = select(source, readPartition(partitionFile), split, first, directory);
            String key = String.join("|", "celeba", source.describe(), "partition=" + sha256(readBytes(partitionFile)),
                    "split=" + split, "first=" + first, "size=" + imageSize, "prep=" + PREPROCESSING);
            Path cacheFile = cacheDirectory.resolve("celeba-" + sha256(key.getBytes(StandardCharsets.UTF_8)).substring(0, 16) + ".bin");
            long start = System.nanoTime();
            ImageCache.Images cached = ImageCache.load(cacheFile, key);
            if (cached != null) {
                return new Loaded(dataset(cached, imageSize), 0, 0, 0, true, (System.nanoTime() - start) / 1e9, cacheFile);
            }
            start = System.nanoTime();
            Decoded decoded = decode(source, names, imageSize, progress);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (decoded.images.count() == 0) {
                throw new InputException(directory + ": none of the " + names.size() + " images of the " + split.name().toLowerCase(Locale.ROOT) + " split could be read");
            }
            ImageCache.store(cacheFile, key, decoded.images);
            return new Loaded(dataset(decoded.images, imageSize), names.size(), decoded.skipped, seconds, false, 0, cacheFile);
        } catch (IOException e) {
            throw new InputException(directory + ": cannot read CelebA (" + e.getMessage() + ")", e);
        }
    }

    private static ImageDataset dataset(ImageCache.Images images, int imageSize) {
        return ImageDataset.builder().setImages(images.pixels(), images.count(), images.channels(), images.side()).optImageSize(imageSize).build();
    }

    private static Map<String, Integer> readPartition(Path file) {
        Map<String, Integer> partition = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !parts[1].matches("[012]")) {
                throw new InputException(file + " line " + (i + 1) + ": expected 'NAME.jpg 0|1|2', got '" + line + "'");
            }
            partition.put(parts[0], Integer.parseInt(parts[1]));
        }
        return partition;
    }

    private static List<String> select(Source source, Map<String, Integer> partition, Split split, int first, Path directory) {
        List<String> all = source.names();
        if (all.isEmpty()) {
            throw new InputException("data directory " + directory + " has no images in " + FOLDER + "/ or " + ZIP);
        }
        int code = switch (split) {
            case TRAIN -> 0;
            case VALIDATION -> 1;
            case TEST -> 2;
        };
        List<String> names = new ArrayList<>();
        for (String name : all) {
            Integer p = partition.get(name);
            if (p != null && p == code) {
                names.add(name);
            }
        }
        if (names.isEmpty()) {
            throw new InputException(directory + ": no images of the " + split.name().toLowerCase(Locale.ROOT) + " split (partition " + code + " in " + PARTITION + ")");
        }
        return first > 0 && first < names.size() ? new ArrayList<>(names.subList(0, first)) : names;
    }

    private record Decoded(ImageCache.Images images, int skipped) {}

    private static Decoded decode(Source source, List<String> names, int size, Progress progress) throws IOException {
        int n = names.size();
        int image = 3 * size * size;
        byte[] pixels = new byte[n * image];
        boolean[] ok = new boolean[n];
        AtomicInteger next = new AtomicInteger();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
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
                futures.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        BufferedImage img = readImage(source, names.get(i));
                        if (img != null) {
                            int w = img.getWidth();
                            int h = img.getHeight();
                            ResizeCrop.apply(img.getRGB(0, 0, w, h, null, 0, w), w, h, size, pixels, i * image);
                            ok[i] = true;
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
        int at = 0;
        for (int i = 0; i < n; i++) {
            if (ok[i]) {
                if (at != i) {
                    System.arraycopy(pixels, i * image, pixels, at * image, image);
                }
                at++;
            } else {
                skipped.add(names.get(i));
            }
        }
        if (!skipped.isEmpty()) {
            logger.warn("skipped {} unreadable image(s) of {}: {}{}", skipped.size(), n,
                    String.join(", ", skipped.subList(0, Math.min(5, skipped.size()))), skipped.size() > 5 ? ", ..." : "");
        }
        byte[] trimmed = at == n ? pixels : java.util.Arrays.copyOf(pixels, at * image);
        return new Decoded(new ImageCache.Images(trimmed, at, 3, size), skipped.size());
    }

    private static BufferedImage readImage(Source source, String name) {
        // An in-memory image stream: ImageIO's default may back each stream with a temporary file.
        // ImageIO.read closes it after a successful read, and leaves it open when it returns null.
        try (InputStream in = source.open(name)) {
            MemoryCacheImageInputStream stream = new MemoryCacheImageInputStream(in);
            BufferedImage image = ImageIO.read(stream);
            if (image == null) {
                stream.close();
            }
            return image;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isImage(String name) {
        return ImageFiles.isImageName(name);
    }

    /** Where the images are: a folder or a zip. */
    private interface Source extends AutoCloseable {
        List<String> names();

        InputStream open(String name) throws IOException;

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
            throw new InputException("data directory " + directory + " has neither " + FOLDER + "/ nor " + ZIP);
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
        public String describe() {
            return "folder=" + folder.toAbsolutePath().normalize() + ",files=" + names.size() + ",bytes=" + bytes + ",newest=" + newest;
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
            try {
                zip = new ZipFile(path.toFile());
            } catch (IOException e) {
                throw new InputException(path + " is not a readable zip archive (" + e.getMessage() + ")", e);
            }
            for (ZipEntry e : Collections.list(zip.entries())) {
                String full = e.getName();
                String name = full.substring(full.lastIndexOf('/') + 1);
                if (!e.isDirectory() && isImage(name)) {
                    entries.put(name, e);
                    names.add(name);
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
            return zip.getInputStream(entries.get(name));
        }

        @Override
        public String describe() {
            try {
                return "zip=" + path.toAbsolutePath().normalize() + ",bytes=" + Files.size(path) + ",modified=" + Files.getLastModifiedTime(path).toMillis();
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
