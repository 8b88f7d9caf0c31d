package org.shortrun.method;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.shortrun.InputException;

/**
 * The learning methods by name, and their options as JSON: what config.json, checkpoints, table
 * specs and the command's options hold. A method's JSON is its name and its options, {@code
 * {"name": "vae", "klWarmup": 1000}}; options left out take the method's published values.
 *
 * <p>Registering a method makes it known to all of these at once:
 *
 * <pre>
 *   Methods.register("mean-image", MeanImage.class, () -> new MeanImage());
 * </pre>
 */
public final class Methods {

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private record Registration(
            Class<? extends LearningMethod> type, Supplier<? extends LearningMethod> published) {}

    private static final Map<String, Registration> REGISTRY =
            Collections.synchronizedMap(new LinkedHashMap<>());

    static {
        register(ShortRun.NAME, ShortRun.class, () -> ShortRun.builder().build());
        register(
                PersistentChains.NAME,
                PersistentChains.class,
                () -> PersistentChains.builder().build());
        register(
                Variational.LADDER_VAE,
                Variational.class,
                () -> Variational.builder().optLadder(true).build());
        register(Variational.VAE, Variational.class, () -> Variational.builder().build());
        register(Glo.NAME, Glo.class, () -> Glo.builder().build());
        register(
                LangevinAutoencoders.LAE,
                LangevinAutoencoders.class,
                () -> LangevinAutoencoders.builder().build());
        register(
                LangevinAutoencoders.CLAE,
                LangevinAutoencoders.class,
                () -> LangevinAutoencoders.builder().optPrior(true).build());
    }

    private Methods() {}

    /**
     * Makes a method known by name: to {@link #published}, to reading saved settings, to table
     * specs and to the command's {@code --method}.
     *
     * @param name the name its {@link LearningMethod#getName} returns
     * @param type its class, whose fields are its options
     * @param published makes it with the settings it was published with
     * @throws IllegalArgumentException if the name is taken by another class
     */
    public static void register(
            String name,
            Class<? extends LearningMethod> type,
            Supplier<? extends LearningMethod> published) {
        Registration existing = REGISTRY.get(name);
        if (existing != null && existing.type() != type) {
            throw new IllegalArgumentException(
                    "method " + name + " is registered already, as " + existing.type().getName());
        }
        REGISTRY.put(name, new Registration(type, published));
    }

    /**
     * Returns the names of the registered methods, in the order they were registered.
     *
     * @return the names
     */
    public static Set<String> names() {
        synchronized (REGISTRY) {
            return new LinkedHashSet<>(REGISTRY.keySet());
        }
    }

    /**
     * Makes a method with the settings it was published with.
     *
     * @param name its name, in any case
     * @return the method
     * @throws InputException if no method has that name
     */
    public static LearningMethod published(String name) {
        return registration(name).published().get();
    }

    private static Registration registration(String name) {
        Registration r = REGISTRY.get(name.toLowerCase(Locale.ROOT));
        if (r == null) {
            throw new InputException(
                    "no learning method is called '"
                            + name
                            + "'; the methods: "
                            + String.join(", ", names()));
        }
        return r;
    }

    /**
     * Writes a method's name and options as JSON.
     *
     * @param method the method
     * @return {@code {"name": ..., options...}}
     */
    public static JsonObject toJson(LearningMethod method) {
        JsonObject json = GSON.toJsonTree(method).getAsJsonObject();
        JsonObject ordered = new JsonObject();
        ordered.addProperty("name", method.getName());
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            if (!e.getKey().equals("name")) {
                ordered.add(e.getKey(), e.getValue());
            }
        }
        return ordered;
    }

    /**
     * Reads a method from its JSON; options left out take the published values.
     *
     * @param json {@code {"name": ..., options...}}
     * @return the method, its options checked
     * @throws InputException if the name is unknown, an option is not the method's, or a value is
     *     out of range or of the wrong type
     */
    public static LearningMethod fromJson(JsonObject json) {
        if (!json.has("name") || !json.get("name").isJsonPrimitive()) {
            throw new InputException("a method's settings must name it: {\"name\": ...}");
        }
        String name = json.get("name").getAsString().toLowerCase(Locale.ROOT);
        return withOptions(published(name), json);
    }

    /**
     * Changes some options of a method: the one place where settings given later (a resumed run's,
     * a command's) are laid over earlier ones.
     *
     * @param base the method as it is
     * @param options the options to change, by their JSON names; a {@code "name"} entry must be the
     *     method's own; a null value leaves an option as it is in {@code base}
     * @return the method with those options
     * @throws InputException if an option is not the method's, or a value is out of range or of the
     *     wrong type
     */
    public static LearningMethod withOptions(LearningMethod base, JsonObject options) {
        JsonObject merged = toJson(base);
        Set<String> known = optionNames(base);
        for (Map.Entry<String, JsonElement> e : options.entrySet()) {
            String key = e.getKey();
            if (key.equals("name")) {
                if (!e.getValue().getAsString().equalsIgnoreCase(base.getName())) {
                    throw new IllegalArgumentException(
                            "options of "
                                    + e.getValue().getAsString()
                                    + " laid over "
                                    + base.getName());
                }
                continue;
            }
            if (!known.contains(key)) {
                throw new InputException(
                        base.getName()
                                + " has no option '"
                                + key
                                + "'; its options: "
                                + String.join(", ", known));
            }
            if (!e.getValue().isJsonNull()) {
                merged.add(key, e.getValue());
            }
        }
        LearningMethod method;
        try {
            // from the text, not the tree, whose ints wrap where the text's reader refuses
            method = GSON.fromJson(merged.toString(), registration(base.getName()).type());
            method.validate();
        } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
            String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new InputException(
                    base.getName() + "'s options do not parse (" + reason + ")", e);
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
        if (!method.getName().equals(base.getName())) {
            throw new InputException(
                    "the options name " + method.getName() + ", not " + base.getName());
        }
        return method;
    }

    /**
     * Returns the JSON names of a method's options.
     *
     * @param method the method
     * @return the names of its fields but its name
     */
    public static Set<String> optionNames(LearningMethod method) {
        Set<String> names = new LinkedHashSet<>();
        for (Class<?> c = method.getClass();
                c != null && c != Object.class;
                c = c.getSuperclass()) {
            List<String> own = new ArrayList<>();
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                int modifiers = f.getModifiers();
                if (!java.lang.reflect.Modifier.isStatic(modifiers)
                        && !java.lang.reflect.Modifier.isTransient(modifiers)
                        && !f.isSynthetic()
                        && !f.getName().equals("name")) {
                    own.add(f.getName());
                }
            }
            List<String> all = new ArrayList<>(own);
            all.addAll(names);
            names.clear();
            names.addAll(all);
        }
        return names;
    }

    /**
     * The options in which {@code asked} differs from {@code saved}, described for a person.
     *
     * @param saved the method a checkpoint was written with
     * @param asked the method a resumed run was asked to continue with
     * @return one entry per difference, "name: this value in the checkpoint, that asked"
     */
    public static List<String> conflicts(LearningMethod saved, LearningMethod asked) {
        List<String> conflicts = new ArrayList<>();
        if (!saved.getName().equals(asked.getName())) {
            conflicts.add(
                    "method: "
                            + saved.getName()
                            + " in the checkpoint, "
                            + asked.getName()
                            + " asked");
            return conflicts;
        }
        JsonObject a = toJson(saved);
        JsonObject b = toJson(asked);
        Set<String> keys = new LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String key : keys) {
            JsonElement x = a.has(key) ? a.get(key) : JsonNull.INSTANCE;
            JsonElement y = b.has(key) ? b.get(key) : JsonNull.INSTANCE;
            if (!x.equals(y)) {
                conflicts.add(
                        saved.describeOption(key)
                                + ": "
                                + render(x)
                                + " in the checkpoint, "
                                + render(y)
                                + " asked");
            }
        }
        return conflicts;
    }

    /** A value as a message shows it: arrays with spaces after commas, as Java's lists print. */
    private static String render(JsonElement value) {
        if (value.isJsonArray()) {
            JsonArray array = value.getAsJsonArray();
            List<String> items = new ArrayList<>();
            for (JsonElement item : array) {
                items.add(render(item));
            }
            return "[" + String.join(", ", items) + "]";
        }
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
            return value.getAsString();
        }
        return value.toString();
    }
}
