package org.shortrun.data;

import ai.djl.Device;
import ai.djl.basicdataset.cv.classification.Mnist;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.Record;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.shortrun.InputException;

/**
 * MNIST from IDX files, from the test set embedded in this jar, or (when a user asks for it and the
 * network is there) from DJL's download. Images are 28 x 28 and served at the model's side (32:
 * bilinear, as the authors resize).
 */
public final class MnistImages {

    /** Number of images in the embedded test set. */
    public static final int EMBEDDED_COUNT = 10_000;

    private static final String RESOURCE = "/org/shortrun/data/mnist/";
    private static final int SIDE = 28;

    private MnistImages() {}

    /**
     * Reads a split from a directory holding {@code train-images-idx3-ubyte[.gz]}, {@code
     * train-labels-idx1-ubyte[.gz]}, {@code t10k-images-idx3-ubyte[.gz]} and {@code
     * t10k-labels-idx1-ubyte[.gz]}.
     *
     * @param directory the directory
     * @param split the split
     * @param imageSize the side to serve images at (28, 32 or 64)
     * @return the dataset
     * @throws InputException naming the directory or file and the problem
     */
    public static ImageDataset fromDirectory(Path directory, Split split, int imageSize) {
        if (!Files.isDirectory(directory)) {
            throw new InputException("data directory " + directory + " does not exist");
        }
        String prefix = split.requireTrainOrTest("MNIST") == Split.TRAIN ? "train" : "t10k";
        Path imageFile = find(directory, prefix + "-images-idx3-ubyte");
        Path labelFile = find(directory, prefix + "-labels-idx1-ubyte");
        return assemble(
                imageFile,
                IdxFile.read(imageFile, IdxFile.IMAGES),
                labelFile,
                IdxFile.read(labelFile, IdxFile.LABELS),
                imageSize);
    }

    /**
     * Returns the MNIST test set shipped inside this jar (10,000 images).
     *
     * @param imageSize the side to serve images at
     * @return the dataset
     */
    public static ImageDataset embedded(int imageSize) {
        Path imageName = Path.of("embedded t10k-images");
        Path labelName = Path.of("embedded t10k-labels");
        return assemble(
                imageName,
                embedded(imageName, "t10k-images-idx3-ubyte.gz", IdxFile.IMAGES),
                labelName,
                embedded(labelName, "t10k-labels-idx1-ubyte.gz", IdxFile.LABELS),
                imageSize);
    }

    /**
     * Downloads a split through DJL's {@code Mnist}. Needs the network and DJL's offline switch
     * off; the command only calls this when asked to with {@code --download}.
     *
     * @param split the split
     * @param imageSize the side to serve images at
     * @return the dataset
     * @throws IOException if the download fails
     */
    public static ImageDataset download(Split split, int imageSize) throws IOException {
        // DJL's Mnist decodes into arrays that are read back into Java at once: on the host
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Mnist mnist =
                    Mnist.builder()
                            .optUsage(
                                    split.requireTrainOrTest("MNIST") == Split.TRAIN
                                            ? Dataset.Usage.TRAIN
                                            : Dataset.Usage.TEST)
                            .optManager(manager)
                            .setSampling(1, false)
                            .build();
            try {
                mnist.prepare();
            } catch (ai.djl.translate.TranslateException e) {
                throw new IOException("MNIST download failed: " + e.getMessage(), e);
            }
            int n = Math.toIntExact(mnist.size());
            byte[] pixels = new byte[n * SIDE * SIDE];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                try (NDManager one = manager.newSubManager()) {
                    Record record = mnist.get(one, i);
                    float[] image = record.getData().head().toFloatArray();
                    for (int p = 0; p < image.length; p++) {
                        pixels[i * SIDE * SIDE + p] = (byte) Math.round(image[p]);
                    }
                    labels[i] = Math.round(record.getLabels().head().getFloat());
                }
            }
            return ImageDataset.builder()
                    .setImages(pixels, n, 1, SIDE)
                    .optLabels(labels)
                    .optImageSize(imageSize)
                    .build();
        }
    }

    private static ImageDataset assemble(
            Path imageFile, IdxFile images, Path labelFile, IdxFile labels, int imageSize) {
        int[] dims = images.getDims();
        if (dims[1] != SIDE || dims[2] != SIDE) {
            throw new InputException(
                    imageFile
                            + " has images of "
                            + dims[1]
                            + "x"
                            + dims[2]
                            + ", expected 28x28 for MNIST");
        }
        int n = dims[0];
        if (n == 0) {
            throw new InputException(imageFile + " holds no images");
        }
        if (labels.getDims()[0] != n) {
            throw new InputException(
                    imageFile
                            + " has "
                            + n
                            + " images but "
                            + labelFile
                            + " has "
                            + labels.getDims()[0]
                            + " labels");
        }
        int[] y = new int[n];
        byte[] raw = labels.data();
        for (int i = 0; i < n; i++) {
            y[i] = raw[i] & 0xff;
            if (y[i] > 9) {
                throw new InputException(
                        labelFile + ": label " + y[i] + " at index " + i + " is not a digit 0..9");
            }
        }
        return ImageDataset.builder()
                .setImages(images.data(), n, 1, SIDE)
                .optLabels(y)
                .optImageSize(imageSize)
                .build();
    }

    private static Path find(Path directory, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path file = directory.resolve(name);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        throw new InputException(
                "data directory " + directory + " has no " + base + " (or " + base + ".gz)");
    }

    private static IdxFile embedded(Path name, String resource, int magic) {
        try (InputStream in = MnistImages.class.getResourceAsStream(RESOURCE + resource)) {
            if (in == null) {
                throw new IllegalStateException(
                        "resource " + resource + " is missing from the jar");
            }
            byte[] bytes;
            try (InputStream gz = new GZIPInputStream(in, 1 << 16)) {
                bytes = gz.readAllBytes();
            }
            return IdxFile.read(name, new ByteArrayInputStream(bytes), magic, bytes.length, false);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read embedded " + resource, e);
        }
    }
}
