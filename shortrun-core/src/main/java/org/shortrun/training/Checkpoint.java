package org.shortrun.training;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.shortrun.DivergenceException;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.io.DamagedFileException;
import org.shortrun.io.SealedFile;
import org.shortrun.io.SealedJson;
import org.shortrun.io.Sha256;
import org.shortrun.io.WriteFailure;
import org.shortrun.method.LangevinLearning;
import org.shortrun.method.LatentModel;
import org.shortrun.method.MethodContext;
import org.shortrun.method.MethodState;
import org.shortrun.method.StateFiles;
import org.shortrun.model.BlockGenerator;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;

/**
 * A saved learning state: the generator's parameters, Adam's moments and update count, the
 * iteration, the seed, the generator's description and the training settings, and what the learning
 * method keeps in files of its own (an encoder, a prior, persistent latents; {@link
 * org.shortrun.method.LearningMethod#getCheckpointFiles}); for a method that infers by Langevin
 * dynamics, its current step size (and the per-step sizes s_1..s_K when the steps' sizes differ). A
 * directory holding {@code state.json}, {@code parameters.bin}, {@code optimizer.bin} and the
 * method's files. The state is sealed ({@link SealedJson}: kind, format and a SHA-256 of its
 * content) and records each binary file's SHA-256, so a damaged checkpoint is refused rather than
 * half read; nothing that is not finite is ever saved. Checkpoints of format 2, written before
 * methods were objects, are read too.
 *
 * <p>{@link #save} writes into a sibling temporary directory and renames it into place, keeping the
 * previous checkpoint as {@code NAME.prev} until the rename is done, so a killed run always leaves
 * one whole checkpoint behind.
 */
public final class Checkpoint {

    /** The name of the directory a run keeps its checkpoint in. */
    public static final String DIRECTORY = "checkpoint";

    private static final int FORMAT = 3;
    private static final int OLDEST_FORMAT = 2;
    private static final String KIND = "checkpoint state";
    private static final long MAX_STATE_BYTES = 1 << 20;
    private static final String STATE = "state.json";
    private static final String PARAMETERS = "parameters.bin";
    private static final String OPTIMIZER = "optimizer.bin";
    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private final Path directory;
    private final State state;

    private Checkpoint(Path directory, State state) {
        this.directory = directory;
        this.state = state;
    }

    private static final class State {
        int format;
        long iteration;
        // a Langevin method's current s, or the mean of stepSizes; in format 2, every method's
        Float stepSize;
        // null when every step shares stepSize
        float[] stepSizes;
        long seed;
        // the ladder's architecture; null for another generator
        LadderConfig model;
        // another generator's shapes; null for the ladder
        GeneratorDescription generator;
        LearningConfig training;
        Map<String, String> sha256;
    }

    /**
     * What a checkpoint records of a generator other than the ladder, which the loader must supply
     * again.
     *
     * @param block the class of its block
     * @param latentShapes the latents' shapes, without the batch axis
     * @param imageShape one image's shape
     * @param parameters the number of its scalar parameters
     */
    public record GeneratorDescription(
            String block, long[][] latentShapes, long[] imageShape, long parameters) {

        static GeneratorDescription of(LatentGenerator generator) {
            List<Shape> shapes = generator.getLatentShapes();
            long[][] latents = new long[shapes.size()][];
            for (int i = 0; i < latents.length; i++) {
                latents[i] = shapes.get(i).getShape();
            }
            return new GeneratorDescription(
                    generator instanceof BlockGenerator block
                            ? block.getBlock().getClass().getName()
                            : generator.getClass().getName(),
                    latents,
                    generator.getImageShape().getShape(),
                    generator.countParameters());
        }

        /**
         * Whether a generator has the shapes recorded.
         *
         * @param generator the generator
         * @return true if its latent and image shapes are these
         */
        public boolean matches(LatentGenerator generator) {
            List<Shape> shapes = generator.getLatentShapes();
            if (shapes.size() != latentShapes.length) {
                return false;
            }
            for (int i = 0; i < latentShapes.length; i++) {
                if (!Arrays.equals(latentShapes[i], shapes.get(i).getShape())) {
                    return false;
                }
            }
            return Arrays.equals(imageShape, generator.getImageShape().getShape());
        }

        @Override
        public String toString() {
            return block
                    + " (latents "
                    + Arrays.deepToString(latentShapes)
                    + ", image "
                    + Arrays.toString(imageShape)
                    + ")";
        }
    }

    /**
     * @return the checkpoint directory
     */
    public Path getDirectory() {
        return directory;
    }

    /**
     * Returns the run directory the checkpoint belongs to: the parent of {@code checkpoint/} (or of
     * the {@code checkpoint.prev} an interrupted save left), or the directory itself if it is not
     * so named.
     *
     * @return the run directory
     */
    public Path getRunDirectory() {
        Path dir = directory.toAbsolutePath();
        return dir.getFileName().toString().startsWith(DIRECTORY) ? dir.getParent() : dir;
    }

    /**
     * Returns the ladder generator's architecture.
     *
     * @return the architecture, or null when the generator is another (see {@link
     *     #getGeneratorDescription})
     */
    public LadderConfig getModelConfig() {
        return state.model;
    }

    /**
     * Returns the shape of one image the checkpoint's generator makes.
     *
     * @return {@code [c, h, w]}
     */
    public Shape getImageShape() {
        if (state.model != null) {
            int side = state.model.getImageSize();
            return new Shape(state.model.getImageChannels(), side, side);
        }
        return new Shape(state.generator.imageShape());
    }

    /**
     * Returns what the checkpoint records of a generator other than the ladder.
     *
     * @return its description, or null for the ladder
     */
    public GeneratorDescription getGeneratorDescription() {
        return state.generator;
    }

    /**
     * @return the training settings
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
     * The sampler a Langevin method had when the checkpoint was written: its K, and its step size
     * as tuned so far (per step where the steps' sizes differ).
     *
     * @return the sampler, or null for a method that infers otherwise
     */
    public Langevin getLangevin() {
        if (!(state.training.getMethod() instanceof LangevinLearning method)) {
            return null;
        }
        Langevin.Builder b = Langevin.builder().setSteps(method.getSteps());
        if (state.stepSizes != null) {
            b.optStepSizes(state.stepSizes);
        } else {
            b.setStepSize(state.stepSize != null ? state.stepSize : method.getStepSize());
        }
        return b.build();
    }

    /**
     * The sampler that replaces the model's own inference when an evaluation overrides its K or s,
     * by {@link Langevin#overriding}.
     *
     * @param steps K, or null for the checkpoint's
     * @param stepSize s for every step, or null for the checkpoint's
     * @return the sampler, or null when neither is given
     * @throws InputException if one is given and the model infers otherwise, or they do not make a
     *     sampler
     */
    public Langevin getLangevin(Integer steps, Float stepSize) {
        if (steps == null && stepSize == null) {
            return null;
        }
        Langevin trained = getLangevin();
        if (trained == null) {
            throw new InputException(
                    state.training.getMethod().getName()
                            + " does not infer by Langevin dynamics; leave out the steps and the"
                            + " step size");
        }
        return overriding(trained, steps, stepSize);
    }

    /**
     * The sampler inference from the observed pixels alone takes (inpainting): the model's own
     * where it infers by Langevin dynamics, else the released script's K = 25 and s = 0.05; K or s
     * overridden if given.
     *
     * @param steps K, or null
     * @param stepSize s for every step, or null
     * @return the sampler
     * @throws InputException if they do not make a sampler
     */
    public Langevin getInpaintingLangevin(Integer steps, Float stepSize) {
        Langevin trained = getLangevin();
        return overriding(trained != null ? trained : Langevin.builder().build(), steps, stepSize);
    }

    private static Langevin overriding(Langevin trained, Integer steps, Float stepSize) {
        try {
            return trained.overriding(steps, stepSize);
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
    }

    /**
     * @return sigma at the checkpoint's iteration
     */
    public float getSigma() {
        return (float) state.training.sigma().valueAt(state.iteration);
    }

    /**
     * Whether a directory (a checkpoint or a run directory) holds a checkpoint.
     *
     * @param directory the directory
     * @return true if {@link #read} would find one there
     */
    public static boolean exists(Path directory) {
        return find(directory) != null;
    }

    /**
     * Reads a checkpoint's state and checks every file's SHA-256; the parameters are read later, by
     * {@link #loadModel} or {@link #restore}.
     *
     * @param path a checkpoint directory or a run directory holding {@code checkpoint/}
     * @return the checkpoint
     * @throws InputException if there is none, or it is damaged (one line naming the file)
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

    private static State readState(Path dir) {
        Path file = dir.resolve(STATE);
        String content;
        try {
            content = SealedJson.read(file, KIND, OLDEST_FORMAT, FORMAT, MAX_STATE_BYTES);
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
            for (String key : new String[] {"iteration", "seed"}) {
                if (!object.has(key)
                        || !object.get(key).isJsonPrimitive()
                        || !object.getAsJsonPrimitive(key).isNumber()) {
                    throw new DamagedFileException(
                            file, "\"" + key + "\" is missing or not a number");
                }
            }
            String architecture = object.has("generator") ? "generator" : "model";
            for (String key : new String[] {architecture, "training", "sha256"}) {
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
            if (state.model != null) {
                state.model.toBuilder().build();
            } else if (state.generator.latentShapes() == null
                    || state.generator.imageShape() == null) {
                throw new IllegalArgumentException("the generator's shapes are missing");
            }
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
        boolean langevin = state.training.getMethod() instanceof LangevinLearning;
        if (state.stepSize == null && (langevin || state.format < FORMAT)) {
            throw new DamagedFileException(file, "\"stepSize\" is missing or not a number");
        }
        if (state.stepSize != null && (!(state.stepSize > 0) || !Float.isFinite(state.stepSize))) {
            throw new DamagedFileException(
                    file, "step size " + state.stepSize + " is not a positive number");
        }
        if (state.stepSizes != null) {
            int steps = langevin ? ((LangevinLearning) state.training.getMethod()).getSteps() : -1;
            if (state.stepSizes.length != steps) {
                throw new DamagedFileException(
                        file,
                        "it holds "
                                + state.stepSizes.length
                                + " per-step sizes for K = "
                                + steps
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
    private static List<String> files(LearningConfig training) {
        List<String> files = new ArrayList<>(List.of(PARAMETERS, OPTIMIZER));
        files.addAll(training.getMethod().getCheckpointFiles());
        return files;
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
     * Makes a fresh generator of the checkpoint's architecture, uninitialised.
     *
     * @return a ladder generator
     * @throws InputException if the checkpoint's generator is not the ladder, which only the caller
     *     can build again
     */
    public LadderGenerator newGenerator() {
        if (state.model == null) {
            throw new InputException(
                    "checkpoint "
                            + directory
                            + " holds a generator of the user's own, "
                            + state.generator
                            + "; give a generator of that architecture to load it");
        }
        return new LadderGenerator(state.model);
    }

    /**
     * Builds the checkpoint's ladder generator and loads its parameters.
     *
     * @param manager the manager that will own the parameters
     * @return the generator, ready for inference
     * @throws InputException if the generator is not the ladder, or a file is corrupt
     */
    public LatentGenerator loadGenerator(NDManager manager) {
        return loadGenerator(newGenerator(), manager);
    }

    /**
     * Loads the checkpoint's parameters into a generator of its architecture.
     *
     * @param generator a fresh generator of the checkpoint's architecture, uninitialised
     * @param manager the manager that will own the parameters
     * @return the generator, ready for inference
     * @throws InputException if the generator is not of the checkpoint's shapes, or a file is
     *     corrupt
     */
    public LatentGenerator loadGenerator(LatentGenerator generator, NDManager manager) {
        requireGenerator(generator);
        generator.initialize(manager, DataType.FLOAT32, generator.latentShapes(1));
        if (state.generator != null
                && generator.countParameters() != state.generator.parameters()) {
            throw new InputException(
                    "checkpoint "
                            + directory
                            + " holds a generator of "
                            + state.generator.parameters()
                            + " parameters, "
                            + state.generator
                            + ", and the one given has "
                            + generator.countParameters());
        }
        loadParameters(generator, manager, PARAMETERS);
        return generator;
    }

    /**
     * Loads the model for inference and sampling: the ladder generator and what its method keeps
     * beside it; no optimiser state.
     *
     * @param manager the manager that will own the parameters
     * @return the model, its Langevin sampler (where it has one) at the saved step size
     * @throws InputException if the generator is not the ladder, or a file is corrupt
     */
    public LatentModel loadModel(NDManager manager) {
        return loadModel(newGenerator(), manager);
    }

    /**
     * Loads the model for inference and sampling into a generator of the checkpoint's architecture.
     *
     * @param generator a fresh generator of the checkpoint's architecture, uninitialised
     * @param manager the manager that will own the parameters
     * @return the model, its Langevin sampler (where it has one) at the saved step size
     * @throws InputException if the generator is not of the checkpoint's shapes, or a file is
     *     corrupt
     */
    public LatentModel loadModel(LatentGenerator generator, NDManager manager) {
        loadGenerator(generator, manager);
        ParameterStore store = new ParameterStore(manager, false);
        MethodState methodState =
                state.training
                        .getMethod()
                        .newState(
                                new MethodContext(
                                        generator,
                                        store,
                                        manager,
                                        RandomStream.seeded(state.training.getSeed()),
                                        1,
                                        state.training.getSeed()));
        try {
            methodState.load(new CheckpointFiles(manager), false);
        } catch (IOException | RuntimeException e) {
            methodState.close();
            throw corrupt(e);
        }
        Langevin langevin = getLangevin();
        if (langevin != null) {
            methodState.setLangevin(langevin);
        }
        return new LatentModel(
                generator, state.training.getMethod(), methodState, store, getSigma());
    }

    /**
     * Refuses a generator of another architecture than the checkpoint's.
     *
     * @param generator the generator asked for
     * @throws InputException naming both architectures
     */
    public void requireGenerator(LatentGenerator generator) {
        boolean fits =
                state.model != null
                        ? generator instanceof LadderGenerator ladder
                                && ladder.getConfig().equals(state.model)
                        : state.generator.matches(generator);
        if (!fits) {
            throw new InputException(
                    "checkpoint "
                            + directory
                            + " is for another model ("
                            + (state.model != null ? state.model : state.generator)
                            + "), not "
                            + generator);
        }
    }

    /**
     * The ladder's architecture, for a caller that can continue only a ladder generator.
     *
     * @return the architecture
     * @throws InputException if the run is of a user's own generator
     */
    public LadderConfig requireLadder() {
        if (state.model == null) {
            throw new InputException(
                    directory + " holds a user's own generator (" + state.generator + ")");
        }
        return state.model;
    }

    /**
     * Restores a learner from a checkpoint of the ladder generator.
     *
     * @param training the settings to continue under; must match the checkpoint's apart from the
     *     number of iterations and the checkpoint interval
     * @param parent the manager that will own the parameters
     * @return the learner, positioned after the saved iteration
     * @throws InputException if the settings differ from the checkpoint's, or a file is corrupt
     */
    public Learner restore(LearningConfig training, NDManager parent) {
        return restore(newGenerator(), training, parent);
    }

    /**
     * Restores a learner: parameters, optimiser, what the method keeps, step size and iteration.
     *
     * @param generator a fresh generator of the checkpoint's architecture, uninitialised
     * @param training the settings to continue under; must match the checkpoint's apart from the
     *     number of iterations and the checkpoint interval
     * @param parent the manager that will own the parameters
     * @return the learner, positioned after the saved iteration
     * @throws InputException if the generator or the settings differ from the checkpoint's, or a
     *     file is corrupt
     */
    public Learner restore(LatentGenerator generator, LearningConfig training, NDManager parent) {
        requireGenerator(generator);
        requireResumableAs(training);
        Learner learner = new Learner(generator, training, parent);
        try {
            loadParameters(generator, learner.getManager(), PARAMETERS);
            learner.getMethodState().load(new CheckpointFiles(learner.getManager()), true);
            try (DataInputStream in =
                    new DataInputStream(
                            new BufferedInputStream(
                                    Files.newInputStream(directory.resolve(OPTIMIZER))))) {
                learner.getAdam().load(learner.getTrainableParameters(), in);
            }
        } catch (IOException | RuntimeException e) {
            learner.close();
            throw corrupt(e);
        }
        learner.setIteration(state.iteration);
        Langevin langevin = getLangevin();
        if (langevin != null) {
            learner.getMethodState().setLangevin(langevin);
        }
        return learner;
    }

    private InputException corrupt(Exception e) {
        if (e instanceof InputException input) {
            return input;
        }
        return new InputException("checkpoint " + directory + " is corrupt: " + e.getMessage(), e);
    }

    private void loadParameters(Block block, NDManager manager, String file) {
        for (Parameter p : block.getParameters().values()) {
            p.close();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(directory.resolve(file));
            block.loadParameters(
                    manager, new DataInputStream(new java.io.ByteArrayInputStream(bytes)));
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

    /** A checkpoint's files as a method reads them. */
    private final class CheckpointFiles implements StateFiles {
        private final NDManager manager;

        CheckpointFiles(NDManager manager) {
            this.manager = manager;
        }

        @Override
        public void write(String name, SealedFile.Body body) {
            throw new UnsupportedOperationException("a checkpoint being read is not written");
        }

        @Override
        public DataInputStream read(String name) throws IOException {
            return new DataInputStream(
                    new BufferedInputStream(
                            Files.newInputStream(directory.resolve(name)), 1 << 20));
        }

        @Override
        public long size(String name) throws IOException {
            return Files.size(directory.resolve(name));
        }

        @Override
        public void loadParameters(String name, Block block, NDManager target) {
            Checkpoint.this.loadParameters(block, target != null ? target : manager, name);
        }
    }

    /**
     * Saves a learner's state atomically to {@code target}.
     *
     * @param learner the learner
     * @param target the checkpoint directory, e.g. {@code out/checkpoint}
     * @throws IOException if writing fails, with a message naming the file and the cause; the
     *     previous checkpoint is then left as it was
     * @throws DivergenceException if a parameter, optimiser moment or kept latent is not finite;
     *     nothing is written
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
        State state = new State();
        state.format = FORMAT;
        state.iteration = learner.getIteration();
        Langevin langevin = learner.getLangevin();
        if (langevin != null) {
            state.stepSize = langevin.getStepSize();
            state.stepSizes = langevin.hasSharedStepSize() ? null : langevin.getStepSizes();
        }
        state.seed = learner.getConfig().getSeed();
        describe(learner.getGenerator(), state);
        state.training = learner.getConfig();
        state.sha256 = new LinkedHashMap<>();
        state.sha256.put(PARAMETERS, Sha256.hex(parameters.toByteArray()));
        state.sha256.put(OPTIMIZER, Sha256.hex(optimizer.toByteArray()));
        learner.getMethodState()
                .save(
                        new StateFiles() {
                            @Override
                            public void write(String name, SealedFile.Body body)
                                    throws IOException {
                                state.sha256.put(name, writeSynced(tmp.resolve(name), body));
                            }

                            @Override
                            public DataInputStream read(String name) {
                                throw new UnsupportedOperationException();
                            }

                            @Override
                            public long size(String name) {
                                throw new UnsupportedOperationException();
                            }

                            @Override
                            public void loadParameters(String name, Block block, NDManager m) {
                                throw new UnsupportedOperationException();
                            }
                        });
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

    private static void describe(LatentGenerator generator, State state) {
        if (generator instanceof LadderGenerator ladder) {
            state.model = ladder.getConfig();
        } else {
            state.generator = GeneratorDescription.of(generator);
        }
    }

    /**
     * Refuses to continue this run with settings it was not trained with: a resumed run may change
     * only its length and checkpoint interval, and must train on the same images.
     *
     * @param learning the settings asked for
     * @throws InputException naming every setting that differs
     */
    public void requireResumableAs(LearningConfig learning) {
        if (!getLearningConfig().isResumableAs(learning)) {
            throw new InputException(
                    "checkpoint "
                            + getDirectory()
                            + " was trained with other settings ("
                            + String.join("; ", getLearningConfig().resumeConflicts(learning))
                            + "); a resumed run may change only its length and checkpoint"
                            + " interval, and must train on the same images");
        }
    }

    /**
     * Returns the JSON of a generator's description and training settings, as written to
     * config.json.
     *
     * @param generator the generator
     * @param training the training settings
     * @param extra further top-level entries (dataset and such), or null
     * @return pretty-printed JSON
     */
    public static String configJson(
            LatentGenerator generator, LearningConfig training, Map<String, Object> extra) {
        Map<String, Object> root = new LinkedHashMap<>();
        if (generator instanceof LadderGenerator ladder) {
            root.put("model", ladder.getConfig());
        } else {
            root.put("generator", GeneratorDescription.of(generator));
        }
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
