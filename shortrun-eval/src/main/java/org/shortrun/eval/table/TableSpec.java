package org.shortrun.eval.table;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.shortrun.InputException;
import org.shortrun.method.Methods;
import org.shortrun.method.ShortRun;
import org.shortrun.method.Variational;

/**
 * A table job's grid and budget, read from JSON: datasets x L x K x methods x seeds, each cell
 * trained for the same budget and then measured. Unknown keys are refused rather than ignored, so a
 * typo cannot silently run the wrong experiment. The format is in docs/EVALUATION.md.
 */
public final class TableSpec {

    /**
     * The paper's names of the methods the library trains, and theirs in the library; any other
     * method the library knows ({@link Methods#names}) goes by its own name.
     */
    private static final Map<String, String> PAPER_NAMES =
            Map.of("short-run", ShortRun.NAME, "ladder-vae", Variational.LADDER_VAE);

    /**
     * The library's name of a spec's method.
     *
     * @param specName the name in the spec, lower case
     * @return the name {@link Methods} knows it by, or null for a method the library does not train
     */
    static String libraryName(String specName) {
        String name = PAPER_NAMES.getOrDefault(specName, specName);
        return Methods.names().contains(name) ? name : null;
    }

    /**
     * The spec names of the methods the library trains, for messages.
     *
     * @return the paper's names where the paper has one, else the library's
     */
    static java.util.SortedSet<String> trainable() {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        for (String name : Methods.names()) {
            String paper = name;
            for (Map.Entry<String, String> e : PAPER_NAMES.entrySet()) {
                if (e.getValue().equals(name)) {
                    paper = e.getKey();
                }
            }
            names.add(paper);
        }
        return names;
    }

    /** Methods the paper compares against; they appear as rows holding only the paper's numbers. */
    static final Set<String> PAPER_ONLY =
            Set.of("ladder-vae", "glow", "abp", "glo", "vae", "vae-iaf");

    private static final Set<String> TOP_KEYS =
            Set.of(
                    "name",
                    "description",
                    "datasets",
                    "layers",
                    "steps",
                    "methods",
                    "compare_methods",
                    "image_size",
                    "z_dims",
                    "budget",
                    "data_dirs",
                    "celeba_first");
    private static final Set<String> BUDGET_KEYS =
            Set.of(
                    "iterations",
                    "batch_size",
                    "lr",
                    "lr_schedule",
                    "step_size",
                    "sigma",
                    "channels",
                    "seed",
                    "seeds",
                    "checkpoint_every",
                    "eval_images",
                    "fid_samples",
                    "fid_real",
                    "kl_warmup",
                    "code_lr");

    /** The largest spec read; the paper's tables take under 2 KiB. */
    static final int MAX_BYTES = 1 << 20;

    /** The deepest nesting read; a spec needs 3 (z_dims, its layer, the list). */
    static final int MAX_DEPTH = 32;

    /** The longest number read as an integer; Long.MIN_VALUE has 20 characters. */
    private static final int MAX_NUMBER_CHARS = 40;

    private static final Map<Integer, int[]> DEFAULT_Z_DIMS =
            Map.of(
                    1,
                    new int[] {128},
                    3,
                    new int[] {32, 64, 128},
                    5,
                    new int[] {64, 64, 64, 96, 128});

    String name;
    String description = "";
    List<String> datasets = new ArrayList<>();
    List<Integer> layers = new ArrayList<>();
    List<Integer> steps = new ArrayList<>();
    List<String> methods = new ArrayList<>();
    List<String> compareMethods = new ArrayList<>();
    int imageSize = 32;
    int celebaFirst;
    Map<Integer, int[]> zDims = new TreeMap<>();
    Map<String, String> dataDirs = new TreeMap<>();

    long iterations;
    int batchSize = 100;
    double lr = 8e-5;
    String lrSchedule = "released";
    float stepSize = 0.05f;
    float sigma = 0.15f;
    int channels = 64;

    /** Each seed trains its own cells; one seed unless the budget lists several. */
    List<Long> seeds = List.of(1L);

    long checkpointEvery = 1000;
    int evalImages = 1000;
    int fidSamples;
    String fidReal = "train";

    /** Null unless the budget sets it, so the learner's own default applies. */
    Long klWarmup;

    /** Null unless the budget sets it, so the learner's own default applies. */
    Float codeLearningRate;

    /**
     * The canonical form, saved beside the results so a resumed job can prove it is the same job.
     */
    String canonical;

    /** The file the spec was read from, named in messages about it. */
    Path source;

    /**
     * Reads and checks a spec file. Every value is checked for its type and range before it is
     * used: integers exactly (4294967297 is not 1, 1e39 is not 0), so a spec says what runs.
     *
     * @param file the JSON file
     * @return the spec
     * @throws InputException for a missing, oversized, malformed or too deeply nested file, unknown
     *     or repeated keys, values of the wrong type, or impossible values; one line naming the
     *     file and the field
     */
    public static TableSpec read(Path file) {
        String where = "spec " + file;
        JsonObject root = parse(where, file);
        unknownKeys(where, root, TOP_KEYS);
        TableSpec spec = new TableSpec();
        spec.source = file;
        spec.name =
                root.has("name")
                        ? string(where, "name", root.get("name"))
                        : file.getFileName().toString().replaceFirst("\\.json$", "");
        if (spec.name.isEmpty()
                || spec.name.equals(".")
                || spec.name.equals("..")
                || spec.name.contains("/")
                || spec.name.contains("\\")) {
            // it names the default job directory under runs/, so it must stay there
            throw new InputException(
                    where + ": name must be a file name, without / or \\, got '" + spec.name + "'");
        }
        if (root.has("description")) {
            spec.description = string(where, "description", root.get("description"));
        }
        for (JsonElement e : array(where, root, "datasets")) {
            String d = string(where, "datasets", e).toLowerCase(Locale.ROOT);
            if (!List.of("mnist", "svhn", "celeba").contains(d)) {
                throw new InputException(
                        where + ": unknown dataset '" + d + "' (mnist, svhn or celeba)");
            }
            spec.datasets.add(d);
        }
        for (JsonElement e : array(where, root, "layers")) {
            spec.layers.add((int) integer(where, "layers", e, 1, Integer.MAX_VALUE));
        }
        for (JsonElement e : array(where, root, "steps")) {
            spec.steps.add((int) integer(where, "steps", e, 1, Integer.MAX_VALUE));
        }
        for (JsonElement e : array(where, root, "methods")) {
            String m = string(where, "methods", e).toLowerCase(Locale.ROOT);
            if (libraryName(m) == null) {
                throw new InputException(
                        where
                                + ": method '"
                                + m
                                + "' cannot be trained here (known: "
                                + String.join(", ", trainable())
                                + ")");
            }
            for (String earlier : spec.methods) {
                if (libraryName(earlier).equals(libraryName(m))) {
                    throw new InputException(
                            where
                                    + ": methods name "
                                    + libraryName(m)
                                    + " twice ('"
                                    + earlier
                                    + "', '"
                                    + m
                                    + "')");
                }
            }
            spec.methods.add(m);
        }
        if (root.has("compare_methods")) {
            if (!root.get("compare_methods").isJsonArray()) {
                throw wrongType(where, "compare_methods", "a list", root.get("compare_methods"));
            }
            for (JsonElement e : root.getAsJsonArray("compare_methods")) {
                String m = string(where, "compare_methods", e).toLowerCase(Locale.ROOT);
                if (!PAPER_ONLY.contains(m)) {
                    throw new InputException(
                            where
                                    + ": compare_methods: '"
                                    + m
                                    + "' is not a method the paper reports ("
                                    + String.join(", ", PAPER_ONLY)
                                    + ")");
                }
                String trained = libraryName(m);
                if (spec.methods.contains(m)
                        || (trained != null
                                && spec.methods.stream()
                                        .anyMatch(t -> trained.equals(libraryName(t))))) {
                    throw new InputException(
                            where
                                    + ": '"
                                    + m
                                    + "' is in methods, trained, and in compare_methods; a trained"
                                    + " method's rows show the paper's numbers already");
                }
                spec.compareMethods.add(m);
            }
        }
        if (root.has("image_size")) {
            spec.imageSize =
                    (int)
                            integer(
                                    where,
                                    "image_size",
                                    root.get("image_size"),
                                    Integer.MIN_VALUE,
                                    Integer.MAX_VALUE);
            if (spec.imageSize != 32 && spec.imageSize != 64) {
                throw new InputException(
                        where + ": image_size must be 32 or 64, got " + spec.imageSize);
            }
        }
        if (root.has("celeba_first")) {
            spec.celebaFirst =
                    (int)
                            integer(
                                    where,
                                    "celeba_first",
                                    root.get("celeba_first"),
                                    1,
                                    Integer.MAX_VALUE);
        }
        if (root.has("z_dims")) {
            for (Map.Entry<String, JsonElement> e :
                    object(where, "z_dims", root.get("z_dims")).entrySet()) {
                int l;
                try {
                    l = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new InputException(
                            where
                                    + ": unknown key 'z_dims."
                                    + e.getKey()
                                    + "' (keys are layer counts, e.g. \"3\")");
                }
                String field = "z_dims." + e.getKey();
                if (!e.getValue().isJsonArray()) {
                    throw wrongType(where, field, "a list", e.getValue());
                }
                JsonArray dims = e.getValue().getAsJsonArray();
                if (dims.size() != l) {
                    throw new InputException(
                            where
                                    + ": "
                                    + field
                                    + " lists "
                                    + dims.size()
                                    + " dimensions, not "
                                    + l);
                }
                int[] z = new int[dims.size()];
                for (int i = 0; i < z.length; i++) {
                    z[i] = (int) integer(where, field, dims.get(i), 1, Integer.MAX_VALUE);
                }
                spec.zDims.put(l, z);
            }
        }
        if (root.has("data_dirs")) {
            for (Map.Entry<String, JsonElement> e :
                    object(where, "data_dirs", root.get("data_dirs")).entrySet()) {
                if (!List.of("mnist", "svhn", "celeba").contains(e.getKey())) {
                    throw new InputException(
                            where + ": unknown key 'data_dirs." + e.getKey() + "'");
                }
                spec.dataDirs.put(
                        e.getKey(),
                        e.getValue().isJsonNull()
                                ? null
                                : string(where, "data_dirs." + e.getKey(), e.getValue()));
            }
        }
        if (!root.has("budget")) {
            throw new InputException(
                    where + ": 'budget' is missing (at least {\"iterations\": N})");
        }
        JsonObject b = object(where, "budget", root.get("budget"));
        unknownKeys(where + ": budget", b, BUDGET_KEYS);
        if (!b.has("iterations")) {
            throw new InputException(where + ": budget.iterations is missing");
        }
        spec.iterations =
                integer(where, "budget.iterations", b.get("iterations"), 1, Long.MAX_VALUE);
        spec.batchSize =
                b.has("batch_size")
                        ? (int)
                                integer(
                                        where,
                                        "budget.batch_size",
                                        b.get("batch_size"),
                                        1,
                                        Integer.MAX_VALUE)
                        : spec.batchSize;
        spec.lr = b.has("lr") ? positive(where, "budget.lr", b.get("lr")) : spec.lr;
        spec.lrSchedule =
                b.has("lr_schedule")
                        ? string(where, "budget.lr_schedule", b.get("lr_schedule"))
                        : spec.lrSchedule;
        spec.stepSize =
                b.has("step_size")
                        ? (float) positive(where, "budget.step_size", b.get("step_size"))
                        : spec.stepSize;
        spec.sigma =
                b.has("sigma")
                        ? (float) positive(where, "budget.sigma", b.get("sigma"))
                        : spec.sigma;
        spec.channels =
                b.has("channels")
                        ? (int)
                                integer(
                                        where,
                                        "budget.channels",
                                        b.get("channels"),
                                        1,
                                        Integer.MAX_VALUE)
                        : spec.channels;
        spec.seeds = seeds(where, b);
        spec.checkpointEvery =
                b.has("checkpoint_every")
                        ? integer(
                                where,
                                "budget.checkpoint_every",
                                b.get("checkpoint_every"),
                                0,
                                Long.MAX_VALUE)
                        : spec.checkpointEvery;
        spec.evalImages =
                b.has("eval_images")
                        ? (int)
                                integer(
                                        where,
                                        "budget.eval_images",
                                        b.get("eval_images"),
                                        1,
                                        Integer.MAX_VALUE)
                        : spec.evalImages;
        spec.fidSamples =
                b.has("fid_samples")
                        ? (int)
                                integer(
                                        where,
                                        "budget.fid_samples",
                                        b.get("fid_samples"),
                                        0,
                                        Integer.MAX_VALUE)
                        : 0;
        spec.fidReal =
                b.has("fid_real")
                        ? string(where, "budget.fid_real", b.get("fid_real"))
                        : spec.fidReal;
        spec.klWarmup =
                b.has("kl_warmup")
                        ? integer(where, "budget.kl_warmup", b.get("kl_warmup"), 0, Long.MAX_VALUE)
                        : null;
        spec.codeLearningRate =
                b.has("code_lr")
                        ? (float) positive(where, "budget.code_lr", b.get("code_lr"))
                        : null;
        // positive as doubles, but possibly 0 or infinite once rounded to the float training takes
        floatRange(where, "budget.step_size", b, spec.stepSize);
        floatRange(where, "budget.sigma", b, spec.sigma);
        if (spec.codeLearningRate != null) {
            floatRange(where, "budget.code_lr", b, spec.codeLearningRate);
        }
        if (spec.fidSamples == 1) {
            throw new InputException(
                    where
                            + ": budget.fid_samples must be 0 (no FID) or at least 2, got "
                            + spec.fidSamples);
        }
        if (!List.of("train", "test").contains(spec.fidReal)) {
            throw new InputException(
                    where + ": budget.fid_real must be train or test, got '" + spec.fidReal + "'");
        }
        for (int l : spec.layers) {
            if (!spec.zDims.containsKey(l) && !DEFAULT_Z_DIMS.containsKey(l)) {
                throw new InputException(
                        where + ": no z_dims for L = " + l + " (defaults exist for 1, 3 and 5)");
            }
        }
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        spec.canonical = gson.toJson(canonicalTree(root));
        return spec;
    }

    /**
     * Reads the file as a JSON object: its size is checked before it is read, its text must be
     * UTF-8, and its nesting and keys are checked in a streaming pass before a tree is built.
     */
    private static JsonObject parse(String where, Path file) {
        String text;
        try {
            if (!Files.isRegularFile(file)) {
                throw new InputException(
                        where + (Files.exists(file) ? " is not a file" : " does not exist"));
            }
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new InputException(
                        where
                                + " is "
                                + size
                                + " bytes; a spec is at most "
                                + MAX_BYTES
                                + " (1 MiB)");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                // the size again, in case the file grew since it was measured
                bytes = in.readNBytes(MAX_BYTES + 1);
            }
            if (bytes.length > MAX_BYTES) {
                throw new InputException(
                        where + " is over " + MAX_BYTES + " bytes; a spec is at most 1 MiB");
            }
            text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
        } catch (CharacterCodingException e) {
            throw new InputException(where + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new InputException(where + " cannot be read: " + e.getMessage(), e);
        }
        try {
            checkStructure(where, text);
            JsonElement parsed = JsonParser.parseString(text);
            if (!parsed.isJsonObject()) {
                throw new InputException(where + " must be a JSON object");
            }
            return parsed.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
            throw new InputException(where + " is not valid JSON: " + oneLine(e.getMessage()), e);
        } catch (IOException e) {
            throw new InputException(where + " is not valid JSON: " + oneLine(e.getMessage()), e);
        }
    }

    /**
     * Walks the document without building it: refuses nesting deeper than {@link #MAX_DEPTH} before
     * the tree (and the recursion that formats it) is built, and a key given twice in one object,
     * which JSON parsers resolve by silently keeping one of them.
     */
    private static void checkStructure(String where, String text) throws IOException {
        JsonReader reader = new JsonReader(new StringReader(text));
        // as JsonParser reads it, so both passes accept the same documents
        reader.setStrictness(Strictness.LENIENT);
        Deque<Set<String>> objects = new ArrayDeque<>();
        int depth = 0;
        while (true) {
            JsonToken token = reader.peek();
            switch (token) {
                case BEGIN_OBJECT, BEGIN_ARRAY -> {
                    if (++depth > MAX_DEPTH) {
                        throw new InputException(
                                where
                                        + " nests deeper than "
                                        + MAX_DEPTH
                                        + " levels at "
                                        + reader.getPath()
                                        + "; a spec needs 3");
                    }
                    if (token == JsonToken.BEGIN_OBJECT) {
                        reader.beginObject();
                        objects.push(new HashSet<>());
                    } else {
                        reader.beginArray();
                    }
                }
                case END_OBJECT -> {
                    reader.endObject();
                    objects.pop();
                    depth--;
                }
                case END_ARRAY -> {
                    reader.endArray();
                    depth--;
                }
                case NAME -> {
                    String name = reader.nextName();
                    if (!objects.peek().add(name)) {
                        throw new InputException(
                                where
                                        + ": key '"
                                        + name
                                        + "' is given twice (at "
                                        + reader.getPath()
                                        + ")");
                    }
                }
                case END_DOCUMENT -> {
                    return;
                }
                default -> reader.skipValue();
            }
            if (depth == 0 && reader.peek() != JsonToken.END_DOCUMENT) {
                throw new InputException(
                        where
                                + " is not valid JSON: more follows the top-level value at "
                                + reader.getPath());
            }
        }
    }

    /**
     * Reads {@code seed} or {@code seeds}, each within int's range because FID's draws take the
     * seed as an int and a seed outside it would be silently cut.
     */
    private static List<Long> seeds(String where, JsonObject budget) {
        if (budget.has("seed") && budget.has("seeds")) {
            throw new InputException(
                    where
                            + ": budget.seed and budget.seeds are both given; list every seed in"
                            + " seeds");
        }
        if (budget.has("seed")) {
            return List.of(
                    integer(
                            where,
                            "budget.seed",
                            budget.get("seed"),
                            Integer.MIN_VALUE,
                            Integer.MAX_VALUE));
        }
        if (!budget.has("seeds")) {
            return List.of(1L);
        }
        JsonElement list = budget.get("seeds");
        if (!list.isJsonArray() || list.getAsJsonArray().isEmpty()) {
            throw wrongType(where, "budget.seeds", "a non-empty list of integers", list);
        }
        // a set, as a 1 MiB spec can list a few hundred thousand seeds
        Set<Long> seeds = new LinkedHashSet<>();
        for (JsonElement e : list.getAsJsonArray()) {
            long seed = integer(where, "budget.seeds", e, Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (!seeds.add(seed)) {
                // a repeated seed would be one cell under two names, or the same cell counted twice
                // in the mean
                throw new InputException(where + ": budget.seeds lists " + seed + " twice");
            }
        }
        return List.copyOf(seeds);
    }

    int[] zDimsFor(int l) {
        return zDims.getOrDefault(l, DEFAULT_Z_DIMS.get(l));
    }

    /**
     * Returns the table's name, its title and the default job directory's name.
     *
     * @return the name
     */
    public String getName() {
        return name;
    }

    /**
     * Returns the datasets, in the spec's order.
     *
     * @return the dataset names
     */
    public List<String> getDatasets() {
        return List.copyOf(datasets);
    }

    /**
     * Returns the seeds, in the spec's order.
     *
     * @return the seeds; {@code [1]} unless the budget sets {@code seed} or {@code seeds}
     */
    public List<Long> getSeeds() {
        return seeds;
    }

    /**
     * Returns the cells, in the order they run: datasets, then methods, then L, then K, then seeds.
     * Cell number n (1-based, as progress messages and {@code table --cell} count) is element n -
     * 1.
     *
     * @return the cells
     */
    public List<Cell> cells() {
        List<Cell> cells = new ArrayList<>();
        for (String d : datasets) {
            for (String m : methods) {
                for (int l : layers) {
                    for (int k : steps) {
                        cells.addAll(cellsAt(d, l, k, m));
                    }
                }
            }
        }
        return cells;
    }

    /** The cells of one row of the table, one per seed. */
    List<Cell> cellsAt(String dataset, int l, int k, String method) {
        return seeds.stream()
                .map(s -> new Cell(dataset, l, k, method, s, seeds.size() > 1))
                .toList();
    }

    /**
     * One configuration of the grid.
     *
     * @param dataset the dataset's name
     * @param layers L, the number of latent layers
     * @param steps K, the Langevin steps
     * @param method the method trained
     * @param seed the seed it trains and is measured with
     * @param seedInId whether the id names the seed: only when the spec lists several, so that
     *     one-seed jobs keep the cell names (and resume directories) they had before seeds existed
     */
    public record Cell(
            String dataset, int layers, int steps, String method, long seed, boolean seedInId) {
        /**
         * Creates the cell of a one-seed spec at the default seed, 1.
         *
         * @param dataset the dataset's name
         * @param layers L, the number of latent layers
         * @param steps K, the Langevin steps
         * @param method the method trained
         */
        public Cell(String dataset, int layers, int steps, String method) {
            this(dataset, layers, steps, method, 1, false);
        }

        /**
         * Returns the cell's name, also its directory's name under {@code cells/}.
         *
         * @return e.g. {@code mnist-L3-K25-short-run}, or {@code mnist-L3-K25-short-run-s2} when
         *     the spec lists several seeds
         */
        public String id() {
            return dataset
                    + "-L"
                    + layers
                    + "-K"
                    + steps
                    + "-"
                    + method
                    + (seedInId ? "-s" + seed : "");
        }
    }

    private static JsonArray array(String where, JsonObject root, String key) {
        if (!root.has(key) || !root.get(key).isJsonArray() || root.getAsJsonArray(key).isEmpty()) {
            throw new InputException(where + ": '" + key + "' must be a non-empty list");
        }
        return root.getAsJsonArray(key);
    }

    private static JsonObject object(String where, String field, JsonElement e) {
        if (!e.isJsonObject()) {
            throw wrongType(where, field, "an object", e);
        }
        return e.getAsJsonObject();
    }

    private static String string(String where, String field, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw wrongType(where, field, "a string", e);
        }
        return e.getAsString();
    }

    /**
     * Reads an integer exactly: from the number's text, never through a double or a narrowing cast,
     * so 4294967297 or 1e39 is refused rather than read as 1 or 0. 1.0 and 1e3 are exact integers
     * and accepted.
     */
    private static long integer(String where, String field, JsonElement e, long min, long max) {
        String range =
                min == 0
                        ? "an integer from 0 to " + max
                        : min == 1
                                ? "a positive integer up to " + max
                                : "an integer from " + min + " to " + max;
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw wrongType(where, field, range, e);
        }
        String text = e.getAsJsonPrimitive().getAsString();
        if (text.length() > MAX_NUMBER_CHARS) {
            // BigDecimal's parsing is quadratic in the digits, and no integer here needs 40
            throw new InputException(
                    where
                            + ": "
                            + field
                            + " must be "
                            + range
                            + ", got a number of "
                            + text.length()
                            + " characters");
        }
        BigDecimal value;
        try {
            value = new BigDecimal(text);
        } catch (NumberFormatException ex) {
            throw new InputException(
                    where + ": " + field + " must be " + range + ", got " + text, ex);
        }
        if (value.signum() != 0 && value.stripTrailingZeros().scale() > 0) {
            throw new InputException(
                    where
                            + ": "
                            + field
                            + " must be "
                            + range
                            + ", got "
                            + text
                            + ", which is not an integer");
        }
        if (value.compareTo(BigDecimal.valueOf(min)) < 0
                || value.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw new InputException(where + ": " + field + " must be " + range + ", got " + text);
        }
        return value.longValueExact();
    }

    /** Reads a positive, finite number. */
    private static double positive(String where, String field, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw wrongType(where, field, "a positive number", e);
        }
        String text = e.getAsJsonPrimitive().getAsString();
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException ex) {
            throw new InputException(
                    where + ": " + field + " must be a positive number, got " + shorten(text), ex);
        }
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new InputException(
                    where
                            + ": "
                            + field
                            + " must be a positive finite number, got "
                            + shorten(text));
        }
        return value;
    }

    private static void floatRange(String where, String field, JsonObject budget, float value) {
        if (!(value > 0) || !Float.isFinite(value)) {
            String key = field.substring(field.indexOf('.') + 1);
            throw new InputException(
                    where
                            + ": "
                            + field
                            + " must be a positive number a float holds (1.4e-45 to 3.4e38), got "
                            + shorten(budget.get(key).toString()));
        }
    }

    private static InputException wrongType(
            String where, String field, String expected, JsonElement e) {
        return new InputException(
                where + ": " + field + " must be " + expected + ", got " + shorten(e.toString()));
    }

    private static String shorten(String text) {
        String line = oneLine(text);
        return line.length() <= 60 ? line : line.substring(0, 57) + "...";
    }

    private static String oneLine(String text) {
        return String.valueOf(text).replaceAll("\\s+", " ");
    }

    private static void unknownKeys(String where, JsonObject object, Set<String> known) {
        for (String key : object.keySet()) {
            if (!known.contains(key)) {
                throw new InputException(
                        where
                                + ": unknown key '"
                                + key
                                + "' (known: "
                                + String.join(", ", new java.util.TreeSet<>(known))
                                + ")");
            }
        }
    }

    /** Sorted keys at every level, so formatting and key order do not make two specs differ. */
    private static JsonElement canonicalTree(JsonElement e) {
        if (e.isJsonObject()) {
            JsonObject sorted = new JsonObject();
            Map<String, JsonElement> entries = new TreeMap<>(e.getAsJsonObject().asMap());
            for (Map.Entry<String, JsonElement> entry : entries.entrySet()) {
                sorted.add(entry.getKey(), canonicalTree(entry.getValue()));
            }
            return sorted;
        }
        if (e.isJsonArray()) {
            JsonArray out = new JsonArray();
            for (JsonElement item : e.getAsJsonArray()) {
                out.add(canonicalTree(item));
            }
            return out;
        }
        return e;
    }
}
