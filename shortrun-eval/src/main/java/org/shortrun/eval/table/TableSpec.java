package org.shortrun.eval.table;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import org.shortrun.InputException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A table job's grid and budget, read from JSON: datasets x L x K x methods, each cell trained
 * for the same budget and then measured. Unknown keys are refused rather than ignored, so a typo
 * cannot silently run the wrong experiment. The format is in docs/EVALUATION.md.
 */
public final class TableSpec {

    /** Methods the library can train. */
    static final Set<String> METHODS = Set.of("short-run");

    /** Methods the paper compares against; they appear as rows holding only the paper's numbers. */
    static final Set<String> PAPER_ONLY = Set.of("ladder-vae", "glow", "abp", "glo", "vae", "vae-iaf");

    private static final Set<String> TOP_KEYS =
            Set.of("name", "description", "datasets", "layers", "steps", "methods", "compare_methods", "image_size", "z_dims", "budget", "data_dirs", "celeba_first");
    private static final Set<String> BUDGET_KEYS =
            Set.of(
                    "iterations", "batch_size", "lr", "lr_schedule", "step_size", "sigma", "channels", "seed", "checkpoint_every", "eval_images",
                    "fid_samples", "fid_real");
    private static final Map<Integer, int[]> DEFAULT_Z_DIMS =
            Map.of(1, new int[] {128}, 3, new int[] {32, 64, 128}, 5, new int[] {64, 64, 64, 96, 128});

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
    long seed = 1;
    long checkpointEvery = 1000;
    int evalImages = 1000;
    int fidSamples;
    String fidReal = "train";

    /** The canonical form, saved beside the results so a resumed job can prove it is the same job. */
    String canonical;

    /** The file the spec was read from, named in messages about it. */
    Path source;

    /**
     * Reads and checks a spec file.
     *
     * @param file the JSON file
     * @return the spec
     * @throws InputException for a missing or malformed file, unknown keys or impossible values
     */
    public static TableSpec read(Path file) {
        JsonObject root;
        try {
            JsonElement parsed = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!parsed.isJsonObject()) {
                throw new InputException("spec " + file + " must be a JSON object");
            }
            root = parsed.getAsJsonObject();
        } catch (IOException e) {
            throw new InputException("spec " + file + " cannot be read: " + e.getMessage(), e);
        } catch (JsonParseException e) {
            throw new InputException("spec " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        String where = "spec " + file;
        unknownKeys(where, root, TOP_KEYS);
        TableSpec spec = new TableSpec();
        spec.source = file;
        try {
            spec.name = root.has("name") ? root.get("name").getAsString() : file.getFileName().toString().replaceFirst("\\.json$", "");
            if (root.has("description")) {
                spec.description = root.get("description").getAsString();
            }
            for (JsonElement e : array(where, root, "datasets")) {
                String d = e.getAsString().toLowerCase(Locale.ROOT);
                if (!List.of("mnist", "svhn", "celeba").contains(d)) {
                    throw new InputException(where + ": unknown dataset '" + d + "' (mnist, svhn or celeba)");
                }
                spec.datasets.add(d);
            }
            for (JsonElement e : array(where, root, "layers")) {
                spec.layers.add(positive(where, "layers", e.getAsInt()));
            }
            for (JsonElement e : array(where, root, "steps")) {
                spec.steps.add(positive(where, "steps", e.getAsInt()));
            }
            for (JsonElement e : array(where, root, "methods")) {
                String m = e.getAsString().toLowerCase(Locale.ROOT);
                if (!METHODS.contains(m)) {
                    throw new InputException(where + ": method '" + m + "' cannot be trained here (known: " + String.join(", ", METHODS) + ")");
                }
                spec.methods.add(m);
            }
            if (root.has("compare_methods")) {
                for (JsonElement e : root.getAsJsonArray("compare_methods")) {
                    String m = e.getAsString().toLowerCase(Locale.ROOT);
                    if (!PAPER_ONLY.contains(m)) {
                        throw new InputException(where + ": compare_methods: '" + m + "' is not a method the paper reports (" + String.join(", ", PAPER_ONLY) + ")");
                    }
                    spec.compareMethods.add(m);
                }
            }
            if (root.has("image_size")) {
                spec.imageSize = root.get("image_size").getAsInt();
                if (spec.imageSize != 32 && spec.imageSize != 64) {
                    throw new InputException(where + ": image_size must be 32 or 64, got " + spec.imageSize);
                }
            }
            if (root.has("celeba_first")) {
                spec.celebaFirst = positive(where, "celeba_first", root.get("celeba_first").getAsInt());
            }
            if (root.has("z_dims")) {
                for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("z_dims").entrySet()) {
                    int l;
                    try {
                        l = Integer.parseInt(e.getKey());
                    } catch (NumberFormatException ex) {
                        throw new InputException(where + ": unknown key 'z_dims." + e.getKey() + "' (keys are layer counts, e.g. \"3\")");
                    }
                    JsonArray dims = e.getValue().getAsJsonArray();
                    int[] z = new int[dims.size()];
                    for (int i = 0; i < z.length; i++) {
                        z[i] = positive(where, "z_dims." + l, dims.get(i).getAsInt());
                    }
                    if (z.length != l) {
                        throw new InputException(where + ": z_dims." + l + " lists " + z.length + " dimensions, not " + l);
                    }
                    spec.zDims.put(l, z);
                }
            }
            if (root.has("data_dirs")) {
                for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("data_dirs").entrySet()) {
                    if (!List.of("mnist", "svhn", "celeba").contains(e.getKey())) {
                        throw new InputException(where + ": unknown key 'data_dirs." + e.getKey() + "'");
                    }
                    spec.dataDirs.put(e.getKey(), e.getValue().isJsonNull() ? null : e.getValue().getAsString());
                }
            }
            if (!root.has("budget")) {
                throw new InputException(where + ": 'budget' is missing (at least {\"iterations\": N})");
            }
            JsonObject b = root.getAsJsonObject("budget");
            unknownKeys(where + ": budget", b, BUDGET_KEYS);
            if (!b.has("iterations")) {
                throw new InputException(where + ": budget.iterations is missing");
            }
            spec.iterations = positive(where, "budget.iterations", b.get("iterations").getAsLong());
            spec.batchSize = b.has("batch_size") ? positive(where, "budget.batch_size", b.get("batch_size").getAsInt()) : spec.batchSize;
            spec.lr = b.has("lr") ? b.get("lr").getAsDouble() : spec.lr;
            spec.lrSchedule = b.has("lr_schedule") ? b.get("lr_schedule").getAsString() : spec.lrSchedule;
            spec.stepSize = b.has("step_size") ? b.get("step_size").getAsFloat() : spec.stepSize;
            spec.sigma = b.has("sigma") ? b.get("sigma").getAsFloat() : spec.sigma;
            spec.channels = b.has("channels") ? positive(where, "budget.channels", b.get("channels").getAsInt()) : spec.channels;
            spec.seed = b.has("seed") ? b.get("seed").getAsLong() : spec.seed;
            spec.checkpointEvery = b.has("checkpoint_every") ? b.get("checkpoint_every").getAsLong() : spec.checkpointEvery;
            spec.evalImages = b.has("eval_images") ? positive(where, "budget.eval_images", b.get("eval_images").getAsInt()) : spec.evalImages;
            spec.fidSamples = b.has("fid_samples") ? b.get("fid_samples").getAsInt() : 0;
            spec.fidReal = b.has("fid_real") ? b.get("fid_real").getAsString() : spec.fidReal;
        } catch (IllegalStateException | UnsupportedOperationException | ClassCastException | NumberFormatException e) {
            throw new InputException(where + ": a value has the wrong type (" + e.getMessage() + ")", e);
        }
        if (!(spec.lr > 0) || !(spec.stepSize > 0) || !(spec.sigma > 0) || spec.checkpointEvery < 0) {
            throw new InputException(where + ": lr, step_size and sigma must be positive and checkpoint_every 0 or more");
        }
        if (spec.fidSamples == 1 || spec.fidSamples < 0) {
            throw new InputException(where + ": budget.fid_samples must be 0 (no FID) or at least 2, got " + spec.fidSamples);
        }
        if (!List.of("train", "test").contains(spec.fidReal)) {
            throw new InputException(where + ": budget.fid_real must be train or test, got '" + spec.fidReal + "'");
        }
        for (int l : spec.layers) {
            if (!spec.zDims.containsKey(l) && !DEFAULT_Z_DIMS.containsKey(l)) {
                throw new InputException(where + ": no z_dims for L = " + l + " (defaults exist for 1, 3 and 5)");
            }
        }
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        spec.canonical = gson.toJson(canonicalTree(root));
        return spec;
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
     * Returns the cells, in the order they run: datasets, then methods, then L, then K. Cell
     * number n (1-based, as progress messages and {@code table --cell} count) is element n - 1.
     *
     * @return the cells
     */
    public List<Cell> cells() {
        List<Cell> cells = new ArrayList<>();
        for (String d : datasets) {
            for (String m : methods) {
                for (int l : layers) {
                    for (int k : steps) {
                        cells.add(new Cell(d, l, k, m));
                    }
                }
            }
        }
        return cells;
    }

    /**
     * One configuration of the grid.
     *
     * @param dataset the dataset's name
     * @param layers L, the number of latent layers
     * @param steps K, the Langevin steps
     * @param method the method trained
     */
    public record Cell(String dataset, int layers, int steps, String method) {
        /**
         * Returns the cell's name, also its directory's name under {@code cells/}.
         *
         * @return e.g. {@code mnist-L3-K25-short-run}
         */
        public String id() {
            return dataset + "-L" + layers + "-K" + steps + "-" + method;
        }
    }

    private static JsonArray array(String where, JsonObject root, String key) {
        if (!root.has(key) || !root.get(key).isJsonArray() || root.getAsJsonArray(key).isEmpty()) {
            throw new InputException(where + ": '" + key + "' must be a non-empty list");
        }
        return root.getAsJsonArray(key);
    }

    private static void unknownKeys(String where, JsonObject object, Set<String> known) {
        for (String key : object.keySet()) {
            if (!known.contains(key)) {
                throw new InputException(where + ": unknown key '" + key + "' (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }

    private static int positive(String where, String key, int value) {
        if (value <= 0) {
            throw new InputException(where + ": " + key + " must be positive, got " + value);
        }
        return value;
    }

    private static long positive(String where, String key, long value) {
        if (value <= 0) {
            throw new InputException(where + ": " + key + " must be positive, got " + value);
        }
        return value;
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
