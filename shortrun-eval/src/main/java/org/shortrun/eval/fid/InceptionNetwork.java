package org.shortrun.eval.fid;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.shortrun.InputException;

/**
 * Inception-v3 pool_3 features from a TorchScript file the user supplies; nothing is downloaded.
 * Two calling conventions are understood (see docs/EVALUATION.md for where to get each file).
 */
public final class InceptionNetwork implements AutoCloseable {

    /** The usual size of pool_3 features. */
    public static final int POOL3_FEATURES = 2048;

    /** How a TorchScript Inception expects to be called. */
    public enum Convention {
        /**
         * NVIDIA's {@code inception-2015-12-05.pt} (the TensorFlow FID network): {@code
         * forward(img, return_features=True)} on [0, 255] input of any size; it resizes inside.
         */
        TF_NVIDIA,
        /**
         * A pytorch-fid network traced to TorchScript: {@code forward(img)} on [0, 1] input at 299
         * x 299.
         */
        PYTORCH_FID;

        /**
         * @return the name used on the command line
         */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private static final long FID_SIZE = 299;

    private final Model model;
    private final PtSymbolBlock block;
    private final Convention convention;
    private final int featureDim;
    private final Path file;

    private InceptionNetwork(Model model, Convention convention, int featureDim, Path file) {
        this.model = model;
        this.block = (PtSymbolBlock) model.getBlock();
        this.convention = convention;
        this.featureDim = featureDim;
        this.file = file;
    }

    /**
     * Loads a TorchScript Inception.
     *
     * @param file the {@code .pt} file
     * @param convention how to call it, or null to tell from the file: a network whose code takes
     *     {@code return_features} is {@link Convention#TF_NVIDIA}
     * @param featureDim the feature size every output must have (2048 for pool_3)
     * @param device the device it runs on, or null for the engine's default
     * @return the network
     * @throws InputException if the file is missing or not TorchScript, or the network does not
     *     give {@code featureDim} features for a blank test image
     */
    public static InceptionNetwork load(
            Path file, Convention convention, int featureDim, Device device) {
        if (!Files.isRegularFile(file)) {
            throw new InputException("--inception " + file + " does not exist; " + WHERE_TO_GET);
        }
        Convention detected = convention != null ? convention : detect(file);
        Model model = Model.newInstance("inception", device, "PyTorch");
        try {
            model.load(file);
        } catch (IOException | MalformedModelException | EngineException e) {
            model.close();
            throw new InputException(
                    "--inception "
                            + file
                            + " could not be loaded as TorchScript: "
                            + firstLine(e.getMessage()),
                    e);
        }
        if (!(model.getBlock() instanceof PtSymbolBlock)) {
            model.close();
            throw new InputException("--inception " + file + " is not a TorchScript module");
        }
        InceptionNetwork network = new InceptionNetwork(model, detected, featureDim, file);
        // one blank image now, so that a wrong feature size is reported before any long work
        try (NDManager probe = model.getNDManager().newSubManager()) {
            network.features(probe.zeros(new Shape(1, 3, 32, 32)));
        } catch (RuntimeException e) {
            network.close();
            if (e instanceof InputException) {
                throw e;
            }
            throw new InputException(
                    "--inception "
                            + file
                            + " fails on a 32x32 image as "
                            + detected.label()
                            + ": "
                            + firstLine(e.getMessage()),
                    e);
        }
        return network;
    }

    /** Where the two files come from, for error messages. */
    public static final String WHERE_TO_GET =
            "download NVIDIA's inception-2015-12-05.pt from"
                + " https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/inception-2015-12-05.pt"
                + " or trace pytorch-fid's network (docs/EVALUATION.md)";

    /**
     * Tells the convention from the module's code. TorchScript files are zip archives whose {@code
     * code/} entries hold the scripted source.
     */
    static Convention detect(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            boolean sawCode = false;
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (entry.getName().contains("/code/") && entry.getName().endsWith(".py")) {
                    sawCode = true;
                    try (InputStream in = zip.getInputStream(entry)) {
                        String code = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                        if (code.contains("return_features")) {
                            return Convention.TF_NVIDIA;
                        }
                    }
                }
            }
            if (!sawCode) {
                throw new InputException(
                        "--inception "
                                + file
                                + " is a zip archive but not TorchScript (no code/ entries)");
            }
            return Convention.PYTORCH_FID;
        } catch (ZipException e) {
            throw new InputException(
                    "--inception "
                            + file
                            + " is not a TorchScript file (not a zip archive); "
                            + WHERE_TO_GET,
                    e);
        } catch (IOException e) {
            throw new InputException(
                    "--inception " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * @return the calling convention in use
     */
    public Convention getConvention() {
        return convention;
    }

    /**
     * @return the feature size
     */
    public int getFeatureDim() {
        return featureDim;
    }

    /**
     * Extracts features of a batch of images.
     *
     * @param images {@code [n, c, h, w]} in [-1, 1] with c = 1 or 3; they are quantised to 256
     *     levels first, as images saved to disk would be, and grey images are repeated to 3
     *     channels
     * @return {@code n * featureDim} values, row-major
     * @throws InputException if the network's output is not {@code [n, featureDim]} (or {@code [n,
     *     featureDim, 1, 1]})
     */
    public float[] features(NDArray images) {
        long n = images.getShape().get(0);
        try (NDManager scope = images.getManager().newSubManager()) {
            // results of operations go to the input's manager: lend the input to the scope
            images.tempAttach(scope);
            NDArray levels =
                    images.toDevice(model.getNDManager().getDevice(), false)
                            .toType(DataType.FLOAT32, false)
                            .add(1f)
                            .mul(127.5f)
                            .round()
                            .clip(0, 255);
            if (levels.getShape().get(1) == 1) {
                levels = levels.repeat(1, 3);
            }
            NDArray out;
            if (convention == Convention.TF_NVIDIA) {
                try (IValue input = IValue.from((PtNDArray) levels);
                        IValue flag = IValue.from(true);
                        IValue result = block.forward(input, flag)) {
                    out = firstTensor(result, (PtNDManager) scope);
                }
            } else {
                NDArray unit = levels.div(255f);
                if (unit.getShape().get(2) != FID_SIZE || unit.getShape().get(3) != FID_SIZE) {
                    unit =
                            unit.getNDArrayInternal()
                                    .interpolation(new long[] {FID_SIZE, FID_SIZE}, 1, false);
                }
                try (IValue input = IValue.from((PtNDArray) unit);
                        IValue result = block.forward(input)) {
                    out = firstTensor(result, (PtNDManager) scope);
                }
            }
            Shape shape = out.getShape();
            boolean flat =
                    shape.dimension() == 2
                            || (shape.dimension() == 4 && shape.get(2) == 1 && shape.get(3) == 1);
            if (!flat || shape.get(0) != n) {
                throw new InputException(
                        "--inception "
                                + file
                                + " returned shape "
                                + shape
                                + " for "
                                + n
                                + " images; expected ["
                                + n
                                + ", features]");
            }
            if (shape.get(1) != featureDim) {
                throw new InputException(
                        "--inception "
                                + file
                                + " gives "
                                + shape.get(1)
                                + " features per image, not "
                                + featureDim
                                + (featureDim == POOL3_FEATURES
                                        ? " (pool_3); pass --feature-dim "
                                                + shape.get(1)
                                                + " if that is intended"
                                        : ""));
            }
            return out.toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    private static NDArray firstTensor(IValue value, PtNDManager manager) {
        if (value.isTensor()) {
            return value.toTensor(manager);
        }
        if (value.isList() || value.isTuple()) {
            IValue[] items = value.isList() ? value.toIValueArray() : value.toIValueTuple();
            try {
                if (items.length > 0 && items[0].isTensor()) {
                    return items[0].toTensor(manager);
                }
            } finally {
                for (IValue item : items) {
                    item.close();
                }
            }
        }
        throw new InputException(
                "the Inception network returned a " + value.getType() + ", not a tensor");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public void close() {
        model.close();
    }
}
