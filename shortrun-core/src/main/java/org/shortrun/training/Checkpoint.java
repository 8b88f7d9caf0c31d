package org.shortrun.training;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.shortrun.InputException;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.SealedFile;
import org.shortrun.io.SealedJson;
import org.shortrun.io.Sha256;
import org.shortrun.io.WriteFailure;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinAutoencoder;
import org.shortrun.model.LangevinEncoder;

/**
 * A saved learning state: parameters, Adam's moments and update count, the step size (and the
 * per-step sizes s_1..s_K when the steps' sizes differ), the iteration, the seed, both
 * configurations, for {@link Method#ABP} the persistent latents and for {@link Method#GLO} the
 * codes ({@code latents.bin}), and for {@link Method#LVAE}, {@link Method#VAE}, {@link Method#LAE}
 * and {@link Method#CLAE} the encoder's parameters ({@code encoder.bin}, W included), and for CLAE
 * the energy-based prior's ({@code prior.bin}). A directory holding {@code state.json}, {@code
 * parameters.bin} and {@code optimizer.bin}. The state is sealed ({@link SealedJson}: kind, format
 * and a SHA-256 of its content) and records each binary file's SHA-256, so a damaged checkpoint is
 * refused rather than half read; nothing that is not finite is ever saved.
 *
 * <p>{@link #save} writes into a sibling temporary directory and renames it into place, keeping the
 * previous checkpoint as {@code NAME.prev} until the rename is done, so a killed run always leaves
 * one whole checkpoint behind.
 */
public final class Checkpoint {

    /** The name of the directory a run keeps its checkpoint in. */
    public static final String DIRECTORY = "checkpoint";

    private static final int FORMAT = 2;
    private static final String KIND = "checkpoint state";
    private static final long MAX_STATE_BYTES = 1 << 20;
    private static final String STATE = "state.json";
    private static final String PARAMETERS = "parameters.bin";
    private static final String OPTIMIZER = "optimizer.bin";
    private static final String LATENTS = "latents.bin";
    private static final String ENCODER = "encoder.bin";
    private static final String PRIOR = "prior.bin";
    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private final Path directory;
    private final State state;

    private Checkpoint(Path directory, State state) {
        this.directory = directory;
        this.state = state;
    }

    /** The JSON form of a checkpoint's metadata. */
    private static final class State {
        int format;
        long iteration;
        // the shared s, or the mean of stepSizes: what readers before per-step sizes take
        float stepSize;
        // null when every step shares stepSize, and in checkpoints written before per-step sizes
        float[] stepSizes;
        long seed;
        LadderConfig model;
        LearningConfig training;
        Map<String, String> sha256;
    }

    /**
     * @return the directory read
     */
    public Path getDirectory() {
        return directory;
    }

    /**
     * The run directory this checkpoint belongs to: the parent of {@code checkpoint/} (or of the
     * {@code checkpoint.prev} an interrupted save left), else the directory itself.
     *
     * @return an absolute path
     */
    public Path getRunDirectory() {
        Path dir = directory.toAbsolutePath();
        return dir.getFileName().toString().startsWith(DIRECTORY) ? dir.getParent() : dir;
    }

    /**
     * @return the architecture
     */
    public LadderConfig getModelConfig() {
        return state.model;
    }

    /**
     * @return the training settings the checkpoint was written under
     */
    public LearningConfig getLearningConfig() {
        return state.training;
    }

    /**
     * @return the iterations done
     */
    public long getIteration() {
        return state.iteration;
    }

    /**
     * Returns the Langevin step size s at the time of saving: shared by every step, or the mean of
     * {@link #getStepSizes()} when the steps' sizes differ.
     *
     * @return the step size
     */
    public float getStepSize() {
        return state.stepSize;
    }

    /**
     * Returns s_1..s_K at the time of saving, each step's size; all equal to {@link #getStepSize()}
     * when the steps share one s.
     *
     * @return K step sizes
     */
    public float[] getStepSizes() {
        if (state.stepSizes != null) {
            return state.stepSizes.clone();
        }
        float[] shared = new float[state.training.getSteps()];
        java.util.Arrays.fill(shared, state.stepSize);
        return shared;
    }

    /**
     * Whether the steps have sizes of their own, which a sampler of another K cannot take.
     *
     * @return true if the checkpoint holds distinct per-step sizes
     */
    public boolean hasPerStepSizes() {
        return state.stepSizes != null && !langevin().hasSharedStepSize();
    }

    /**
     * The sampler the checkpoint's model was trained with at the time of saving: its K and its step
     * sizes, per step when they differ.
     *
     * @return the sampler
     */
    public org.shortrun.inference.Langevin langevin() {
        return org.shortrun.inference.Langevin.builder()
                .setSteps(state.training.getSteps())
                .optStepSizes(getStepSizes())
                .build();
    }

    /**
     * The observation noise sigma the run's schedule gives at the checkpoint's iteration: the sigma
     * to infer with unless told otherwise.
     *
     * @return sigma
     */
    public float getSigma() {
        return (float) state.training.sigma().valueAt(state.iteration);
    }

    /**
     * Whether a directory holds a checkpoint, or the remains of one interrupted while being
     * replaced.
     *
     * @param directory the directory
     * @return true if {@link #read} would find something
     */
    public static boolean exists(Path directory) {
        return find(directory) != null;
    }

    /**
     * Reads and verifies a checkpoint. Accepts the checkpoint directory itself or a run's output
     * directory containing {@code checkpoint/}; falls back to {@code checkpoint.prev} left by an
     * interrupted save.
     *
     * @param path the directory
     * @return the checkpoint
     * @throws InputException if it is missing, damaged or of another format
     */
    public static Checkpoint read(Path path) {
        Path dir = locate(path);
        State state = readState(dir);
        for (String file : files(state.training)) {
            String actual;
            try {
                actual = Sha256.hex(dir.resolve(file));
            } catch (NoSuchFileException e) {
                throw new DamagedFileException(dir.resolve(file), "it is missing", e);
            } catch (IOException e) {
                throw new InputException(
                        "cannot read " + dir.resolve(file) + ": " + e.getMessage(), e);
            }
            if (!actual.equals(state.sha256.get(file))) {
                throw new DamagedFileException(
                        dir.resolve(file), "it does not match the SHA-256 recorded in " + STATE);
            }
        }
        return new Checkpoint(dir, state);
    }

    /**
     * Reads state.json: sealed, so any change is refused before it is parsed; then every entry is
     * checked for presence, type and range, so that not even a resealed file can make the loader
     * allocate what no model needs.
     */
    private static State readState(Path dir) {
        Path file = dir.resolve(STATE);
        String content;
        try {
            content = SealedJson.read(file, KIND, FORMAT, MAX_STATE_BYTES);
        } catch (IOException e) {
            throw new InputException("cannot read " + file + ": " + e.getMessage(), e);
        }
        State state;
        try {
            JsonElement root = JsonParser.parseString(content);
            if (!root.isJsonObject()) {
                throw new DamagedFileException(file, "its content is not a JSON object");
            }
            JsonObject object = root.getAsJsonObject();
            for (String key : new String[] {"iteration", "stepSize", "seed"}) {
                if (!object.has(key)
                        || !object.get(key).isJsonPrimitive()
                        || !object.getAsJsonPrimitive(key).isNumber()) {
                    throw new DamagedFileException(
                            file, "\"" + key + "\" is missing or not a number");
                }
            }
            for (String key : new String[] {"model", "training", "sha256"}) {
                if (!object.has(key) || !object.get(key).isJsonObject()) {
                    throw new DamagedFileException(
                            file, "\"" + key + "\" is missing or not an object");
                }
            }
            // from the text, not the tree: the streaming reader refuses 4294967297 as an int,
            // where the tree's getAsInt would wrap it to 1
            state = GSON.fromJson(content, State.class);
        } catch (JsonParseException
                | IllegalStateException
                | NumberFormatException
                | UnsupportedOperationException e) {
            // Gson appends a line pointing to its troubleshooting guide; a refusal is one line
            String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new DamagedFileException(file, "its content does not parse (" + reason + ")", e);
        }
        try {
            state.model.toBuilder().build();
            state.training.toBuilder().build();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new DamagedFileException(
                    file, "its configuration is invalid (" + e.getMessage() + ")", e);
        }
        if (state.iteration < 0 || state.iteration > state.training.getIterations()) {
            throw new DamagedFileException(
                    file,
                    "iteration "
                            + state.iteration
                            + " is outside [0, "
                            + state.training.getIterations()
                            + "]");
        }
        if (!(state.stepSize > 0) || !Float.isFinite(state.stepSize)) {
            throw new DamagedFileException(
                    file, "step size " + state.stepSize + " is not a positive number");
        }
        if (state.stepSizes != null) {
            if (state.stepSizes.length != state.training.getSteps()) {
                throw new DamagedFileException(
                        file,
                        "it holds "
                                + state.stepSizes.length
                                + " per-step sizes for K = "
                                + state.training.getSteps()
                                + " steps");
            }
            for (float s : state.stepSizes) {
                if (!(s > 0) || !Float.isFinite(s)) {
                    throw new DamagedFileException(
                            file, "per-step size " + s + " is not a positive number");
                }
            }
        }
        if (state.seed != state.training.getSeed()) {
            throw new DamagedFileException(
                    file,
                    "seed "
                            + state.seed
                            + " differs from its training seed "
                            + state.training.getSeed());
        }
        for (String name : files(state.training)) {
            String sha = state.sha256.get(name);
            if (sha == null || !sha.matches("[0-9a-f]{64}")) {
                throw new DamagedFileException(file, "it records no SHA-256 for " + name);
            }
        }
        return state;
    }

    /** The binary files a checkpoint of these settings holds. */
    private static String[] files(LearningConfig training) {
        List<String> files = new ArrayList<>(List.of(PARAMETERS, OPTIMIZER));
        if (training.getMethod().isPersistent()) {
            files.add(LATENTS);
        }
        if (training.getMethod().isAmortised()) {
            files.add(ENCODER);
        }
        if (training.getMethod().hasEnergyPrior()) {
            files.add(PRIOR);
        }
        return files.toArray(new String[0]);
    }

    private static Path locate(Path path) {
        if (!Files.isDirectory(path)) {
            throw new InputException("checkpoint " + path + " does not exist");
        }
        Path found = find(path);
        if (found == null) {
            throw new InputException("checkpoint " + path + " holds no " + STATE);
        }
        return found;
    }

    /**
     * The checkpoint directory itself, or a run directory's {@code checkpoint/}, or the {@code
     * checkpoint.prev} an interrupted save left; null if none holds a state file.
     */
    private static Path find(Path path) {
        Path inside = path.resolve(DIRECTORY);
        for (Path candidate : new Path[] {path, inside, sibling(inside, ".prev")}) {
            if (Files.isRegularFile(candidate.resolve(STATE))) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Builds the generator and loads its parameters.
     *
     * @param manager the manager that will own the parameters
     * @return the generator, ready for inference
     */
    public LadderGenerator loadGenerator(NDManager manager) {
        LadderGenerator generator = new LadderGenerator(state.model);
        generator.initialize(manager, DataType.FLOAT32, generator.inputShapes(1));
        loadParameters(generator, manager, PARAMETERS);
        return generator;
    }

    /**
     * Builds a Langevin autoencoder's encoder, generator and (for CLAE) prior and loads their
     * parameters, W included, for inference.
     *
     * @param manager the manager that will own the parameters
     * @return the autoencoder
     * @throws InputException if the checkpoint is not of a Langevin autoencoder or a file is
     *     corrupt
     */
    public LangevinAutoencoder loadLangevinAutoencoder(NDManager manager) {
        Method method = state.training.getMethod();
        if (!method.isLangevinAutoencoder()) {
            throw new InputException(
                    "checkpoint "
                            + directory
                            + " holds a model trained by "
                            + method.name().toLowerCase(java.util.Locale.ROOT)
                            + ", not a Langevin autoencoder (lae or clae)");
        }
        LadderGenerator generator = loadGenerator(manager);
        LangevinEncoder encoder = new LangevinEncoder(state.model);
        encoder.initialize(manager, DataType.FLOAT32, encoder.inputShape(1));
        loadParameters(encoder, manager, ENCODER);
        EnergyPrior prior = null;
        if (method.hasEnergyPrior()) {
            prior = new EnergyPrior(encoder.latentDimension());
            prior.initialize(
                    manager,
                    DataType.FLOAT32,
                    new ai.djl.ndarray.types.Shape(1, encoder.latentDimension()));
            loadParameters(prior, manager, PRIOR);
        }
        return new LangevinAutoencoder(encoder, generator, prior);
    }

    /**
     * Restores a learner from this checkpoint: parameters, optimiser, step size and iteration.
     *
     * @param training the settings to continue under; must match the checkpoint's apart from the
     *     number of iterations and the checkpoint interval
     * @param parent the manager that will own the parameters
     * @return the learner, positioned after the saved iteration
     * @throws InputException if the settings differ from the checkpoint's
     */
    public Learner restore(LearningConfig training, NDManager parent) {
        if (!state.training.isResumableAs(training)) {
            throw new InputException(
                    "checkpoint "
                            + directory
                            + " was written with different training settings; resume with the same"
                            + " ones");
        }
        Learner learner = new Learner(state.model, training, parent);
        try {
            loadParameters(learner.getGenerator(), learner.getManager(), PARAMETERS);
            if (learner.encoderBlock() != null) {
                loadParameters(learner.encoderBlock(), learner.getManager(), ENCODER);
            }
            if (learner.getPrior() != null) {
                loadParameters(learner.getPrior(), learner.getManager(), PRIOR);
            }
            try (DataInputStream in =
                    new DataInputStream(
                            new BufferedInputStream(
                                    Files.newInputStream(directory.resolve(OPTIMIZER))))) {
                learner.getAdam().load(learner.getTrainableParameters(), in);
            }
            if (state.training.getMethod().isPersistent()) {
                Path latents = directory.resolve(LATENTS);
                try (DataInputStream in =
                        new DataInputStream(
                                new BufferedInputStream(Files.newInputStream(latents), 1 << 20))) {
                    learner.setPersistentLatents(
                            PersistentLatents.read(
                                    in, state.model.getZDims(), Files.size(latents)));
                }
            }
        } catch (IOException | RuntimeException e) {
            learner.close();
            if (e instanceof InputException) {
                throw (InputException) e;
            }
            throw new InputException(
                    "checkpoint " + directory + " is corrupt: " + e.getMessage(), e);
        }
        learner.setIteration(state.iteration);
        if (state.stepSizes != null) {
            learner.setStepSizes(state.stepSizes);
        } else {
            learner.setStepSize(state.stepSize);
        }
        return learner;
    }

    private void loadParameters(Block block, NDManager manager, String file) {
        for (Parameter p : block.getParameters().values()) {
            p.close();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(directory.resolve(file));
            block.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(bytes)));
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new InputException(
                    "checkpoint "
                            + directory
                            + " is corrupt: cannot load its "
                            + file
                            + " ("
                            + e.getMessage()
                            + ")",
                    e);
        }
        block.freezeParameters(false);
    }

    /**
     * Saves a learner's state atomically to {@code target}.
     *
     * @param learner the learner
     * @param target the checkpoint directory, e.g. {@code out/checkpoint}
     * @throws IOException if writing fails, with a message naming the file and the cause; the
     *     previous checkpoint is then left as it was
     * @throws DivergenceException if a parameter or optimiser moment is not finite; nothing is
     *     written
     */
    public static void save(Learner learner, Path target) throws IOException {
        String nonFinite = learner.describeNonFinite();
        if (nonFinite != null) {
            throw new DivergenceException(
                    nonFinite + " at iteration " + learner.getIteration() + "; not saved");
        }
        try {
            write(learner, target);
        } catch (IOException e) {
            try {
                deleteRecursively(sibling(target, ".tmp"));
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            Path file =
                    e instanceof FileSystemException fs && fs.getFile() != null
                            ? Path.of(fs.getFile())
                            : target;
            String kept =
                    Files.isDirectory(target)
                            ? "the checkpoint already in " + target + " is kept"
                            : "no checkpoint had been written yet";
            throw new IOException(WriteFailure.message(file, e) + "; " + kept, e);
        }
    }

    private static void write(Learner learner, Path target) throws IOException {
        Path tmp = sibling(target, ".tmp");
        Path prev = sibling(target, ".prev");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);

        ByteArrayOutputStream parameters = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(parameters)) {
            learner.getGenerator().saveParameters(out);
        }
        ByteArrayOutputStream optimizer = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(optimizer)) {
            learner.getAdam().save(learner.getTrainableParameters(), out);
        }
        ByteArrayOutputStream encoder = new ByteArrayOutputStream();
        if (learner.encoderBlock() != null) {
            try (DataOutputStream out = new DataOutputStream(encoder)) {
                learner.encoderBlock().saveParameters(out);
            }
        }
        ByteArrayOutputStream prior = new ByteArrayOutputStream();
        if (learner.getPrior() != null) {
            try (DataOutputStream out = new DataOutputStream(prior)) {
                learner.getPrior().saveParameters(out);
            }
        }
        State state = new State();
        state.format = FORMAT;
        state.iteration = learner.getIteration();
        state.stepSize = learner.getLangevin().getStepSize();
        state.stepSizes =
                learner.getLangevin().hasSharedStepSize()
                        ? null
                        : learner.getLangevin().getStepSizes();
        state.seed = learner.getConfig().getSeed();
        state.model = learner.getGenerator().getConfig();
        state.training = learner.getConfig();
        state.sha256 = new LinkedHashMap<>();
        state.sha256.put(PARAMETERS, Sha256.hex(parameters.toByteArray()));
        state.sha256.put(OPTIMIZER, Sha256.hex(optimizer.toByteArray()));
        if (learner.encoderBlock() != null) {
            state.sha256.put(ENCODER, Sha256.hex(encoder.toByteArray()));
            writeSynced(tmp.resolve(ENCODER), encoder.toByteArray());
        }
        if (learner.getPrior() != null) {
            state.sha256.put(PRIOR, Sha256.hex(prior.toByteArray()));
            writeSynced(tmp.resolve(PRIOR), prior.toByteArray());
        }
        PersistentLatents persistent = learner.getPersistentLatents();
        if (persistent != null) {
            // streamed, not buffered: CelebA's latents at the released d are 271 MB
            state.sha256.put(LATENTS, writeSynced(tmp.resolve(LATENTS), persistent::write));
        }
        writeSynced(tmp.resolve(PARAMETERS), parameters.toByteArray());
        writeSynced(tmp.resolve(OPTIMIZER), optimizer.toByteArray());
        writeSynced(tmp.resolve(STATE), SealedJson.seal(KIND, FORMAT, GSON.toJson(state)));

        if (Files.isDirectory(target)) {
            deleteRecursively(prev);
            Files.move(target, prev, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        deleteRecursively(prev);
    }

    /**
     * Returns the JSON of a model and training configuration, as written to config.json.
     *
     * @param model the architecture
     * @param training the training settings
     * @param extra further top-level entries (dataset and such), or null
     * @return pretty-printed JSON
     */
    public static String configJson(
            LadderConfig model, LearningConfig training, Map<String, Object> extra) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", model);
        root.put("training", training);
        if (extra != null) {
            root.putAll(extra);
        }
        return GSON.toJson(root);
    }

    /** Writes what {@code body} writes, forced to disk, and returns its SHA-256. */
    private static String writeSynced(Path file, SealedFile.Body body) throws IOException {
        MessageDigest digest = Sha256.digest();
        try (FileChannel channel =
                        FileChannel.open(
                                file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                DataOutputStream out =
                        new DataOutputStream(
                                new DigestOutputStream(
                                        new BufferedOutputStream(
                                                java.nio.channels.Channels.newOutputStream(channel),
                                                1 << 20),
                                        digest))) {
            body.write(out);
            out.flush();
            channel.force(true);
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) {
            // a full disk says only "No space left on device"; the message should name the file
            FileSystemException named =
                    new FileSystemException(file.toString(), null, e.getMessage());
            named.initCause(e);
            throw named;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void writeSynced(Path file, byte[] bytes) throws IOException {
        writeSynced(file, out -> out.write(bytes));
    }

    private static Path sibling(Path dir, String suffix) {
        return dir.resolveSibling(dir.getFileName() + suffix);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.delete(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
