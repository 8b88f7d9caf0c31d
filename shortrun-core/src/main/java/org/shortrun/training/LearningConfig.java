package org.shortrun.training;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonDeserializationContext;
import com.google.gson.JsonDeserializer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonSerializationContext;
import com.google.gson.JsonSerializer;
import com.google.gson.annotations.JsonAdapter;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.shortrun.InputException;
import org.shortrun.Schedule;
import org.shortrun.method.LangevinAutoencoders;
import org.shortrun.method.LearningMethod;
import org.shortrun.method.Methods;
import org.shortrun.method.ShortRun;

/**
 * The settings of a learning run that every method shares (length, batch, observation noise,
 * learning rate, seed, checkpoints, data) and the {@link LearningMethod}, which carries its own.
 * Immutable; saved as JSON in config.json and every checkpoint, and compared on resume. Defaults
 * are the released script's. (Not named after DJL's {@code ai.djl.training.TrainingConfig}, a
 * trainer's loss, optimiser and listeners, which a shortrun run does not use.)
 */
@JsonAdapter(LearningConfig.Json.class)
public final class LearningConfig {

    /**
     * The largest batch a configuration may ask for: beyond it a damaged checkpoint, not a user, is
     * speaking.
     */
    public static final int MAX_BATCH_SIZE = 1 << 16;

    private final long iterations;
    private final int batchSize;
    private final float sigma;
    private final Float sigmaStart;
    private final long sigmaAnnealIterations;
    private final LearningRateSchedule lrSchedule;
    private final double learningRate;
    private final float beta1;
    private final long seed;
    private final long checkpointEvery;
    private final String data;
    private final LearningMethod method;

    private LearningConfig(Builder b) {
        iterations = b.iterations;
        batchSize = b.batchSize;
        sigma = b.sigma;
        sigmaStart = b.sigmaStart;
        sigmaAnnealIterations = b.sigmaAnnealIterations;
        lrSchedule = b.lrSchedule;
        learningRate = b.learningRate > 0 ? b.learningRate : b.lrSchedule.getDefaultBase();
        beta1 = b.beta1;
        seed = b.seed;
        checkpointEvery = b.checkpointEvery;
        data = b.data;
        method = b.method;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder preset to this configuration.
     *
     * @return a builder holding these values
     */
    public Builder toBuilder() {
        Builder b =
                new Builder()
                        .setIterations(iterations)
                        .optBatchSize(batchSize)
                        .optSigma(sigma)
                        .optLearningRate(lrSchedule, learningRate)
                        .optBeta1(beta1)
                        .optSeed(seed)
                        .optCheckpointEvery(checkpointEvery)
                        .optData(data)
                        .optMethod(method);
        if (sigmaStart != null) {
            b.optSigmaAnneal(sigmaStart, sigmaAnnealIterations);
        }
        return b;
    }

    /**
     * @return the number of iterations to train for
     */
    public long getIterations() {
        return iterations;
    }

    /**
     * @return the batch size
     */
    public int getBatchSize() {
        return batchSize;
    }

    /**
     * @return the target observation noise sigma
     */
    public float getSigma() {
        return sigma;
    }

    /**
     * @return the learning-rate schedule's name
     */
    public LearningRateSchedule getLrSchedule() {
        return lrSchedule;
    }

    /**
     * @return the base learning rate
     */
    public double getLearningRate() {
        return learningRate;
    }

    /**
     * @return Adam's beta1
     */
    public float getBeta1() {
        return beta1;
    }

    /**
     * @return the seed of every random draw in the run
     */
    public long getSeed() {
        return seed;
    }

    /**
     * @return the checkpoint interval in iterations, 0 for only at the end
     */
    public long getCheckpointEvery() {
        return checkpointEvery;
    }

    /**
     * @return how the generator is learned, with the method's own options
     */
    public LearningMethod getMethod() {
        return method;
    }

    /**
     * @return what the run trains on, as its application describes it, or null if not recorded
     */
    public String getData() {
        return data;
    }

    /**
     * Returns the learning rate as a function of the iteration.
     *
     * @return the schedule
     */
    public Schedule learningRate() {
        return lrSchedule.create(learningRate);
    }

    /**
     * Returns sigma as a function of the iteration: constant, or annealed linearly to the target.
     *
     * @return the schedule
     */
    public Schedule sigma() {
        return sigmaStart == null
                ? Schedule.constant(sigma)
                : Schedule.linear(sigmaStart, sigma, sigmaAnnealIterations);
    }

    /**
     * Whether two configurations describe the same run apart from its length and checkpoint
     * interval, which a resumed run may change.
     *
     * @param other the other configuration
     * @return true if a checkpoint of one can be resumed under the other
     */
    public boolean isResumableAs(LearningConfig other) {
        return resumeConflicts(other).isEmpty();
    }

    /**
     * The settings in which {@code asked} differs from this configuration, a checkpoint's, and
     * which a resumed run therefore cannot take: everything but the length and the checkpoint
     * interval. A Langevin method's step size is the run's starting s; where the run tunes s, the
     * current value lives in the checkpoint's sampler state, not here.
     *
     * @param asked the configuration a resumed run was asked to continue with
     * @return one entry per differing setting, "name: this value in the checkpoint, that asked";
     *     empty if the checkpoint can be resumed under {@code asked}
     */
    public List<String> resumeConflicts(LearningConfig asked) {
        List<String> conflicts = new ArrayList<>();
        conflict(conflicts, "batch size", batchSize, asked.batchSize);
        conflict(conflicts, "sigma", sigma, asked.sigma);
        conflict(conflicts, "sigma annealed from", sigmaStart, asked.sigmaStart);
        conflict(
                conflicts,
                "sigma annealing iterations",
                sigmaAnnealIterations,
                asked.sigmaAnnealIterations);
        conflict(conflicts, "learning-rate schedule", lrSchedule, asked.lrSchedule);
        conflict(conflicts, "learning rate", learningRate, asked.learningRate);
        conflict(conflicts, "Adam's beta1", beta1, asked.beta1);
        conflict(conflicts, "seed", seed, asked.seed);
        conflict(conflicts, "data", data, asked.data);
        conflicts.addAll(Methods.conflicts(method, asked.method));
        return conflicts;
    }

    private static void conflict(
            List<String> conflicts, String name, Object checkpoint, Object asked) {
        if (!Objects.equals(checkpoint, asked)) {
            conflicts.add(name + ": " + checkpoint + " in the checkpoint, " + asked + " asked");
        }
    }

    /**
     * Lays settings given later (a resumed run's, a command's) over this configuration: the one
     * place where that is done. Shared settings are named as in the JSON ({@code "iterations"},
     * {@code "batchSize"}, ...), the method's options in a {@code "method"} object; a method of
     * another name replaces this one, starting from its published options.
     *
     * <p>Another learning-rate schedule without a rate takes that schedule's base rate; sigma
     * annealed without a length is annealed over the first half of the run.
     *
     * @param changes the settings to change; null values leave a setting as it is
     * @return the configuration with those settings
     * @throws InputException if a setting is unknown, of the wrong type or out of range
     */
    public LearningConfig with(JsonObject changes) {
        JsonObject merged = Json.GSON.toJsonTree(this).getAsJsonObject();
        changes = changes.deepCopy();
        if (has(changes, "lrSchedule")
                && !has(changes, "learningRate")
                && !changes.get("lrSchedule").getAsString().equalsIgnoreCase(lrSchedule.name())) {
            // another schedule without a rate: that schedule's own base rate
            changes.addProperty("learningRate", 0);
        }
        if (has(changes, "sigmaStart") && !has(changes, "sigmaAnnealIterations")) {
            // annealed over the first half of the run unless told
            long total =
                    has(changes, "iterations") ? changes.get("iterations").getAsLong() : iterations;
            changes.addProperty("sigmaAnnealIterations", Math.max(1, total / 2));
        }
        for (Map.Entry<String, JsonElement> e : changes.entrySet()) {
            if (e.getValue().isJsonNull() || e.getKey().equals("method")) {
                continue;
            }
            if (!merged.has(e.getKey()) && !Json.OPTIONAL.contains(e.getKey())) {
                throw new InputException("no training setting is called '" + e.getKey() + "'");
            }
            merged.add(e.getKey(), e.getValue());
        }
        LearningMethod next = method;
        JsonElement methodChanges = changes.get("method");
        if (methodChanges != null && methodChanges.isJsonObject()) {
            JsonObject options = methodChanges.getAsJsonObject();
            if (options.has("name")
                    && !options.get("name").getAsString().equalsIgnoreCase(method.getName())) {
                next =
                        Methods.withOptions(
                                Methods.published(options.get("name").getAsString()), options);
            } else {
                next = Methods.withOptions(method, options);
            }
        }
        merged.add("method", Methods.toJson(next));
        try {
            return Json.GSON.fromJson(merged, LearningConfig.class);
        } catch (JsonParseException e) {
            String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new InputException("the training settings do not parse (" + reason + ")", e);
        }
    }

    private static boolean has(JsonObject json, String key) {
        return json.has(key) && !json.get(key).isJsonNull();
    }

    /** Builds a {@link LearningConfig}. */
    public static final class Builder {
        private long iterations = 1000;
        private int batchSize = 100;
        private float sigma = 0.15f;
        private Float sigmaStart;
        private long sigmaAnnealIterations;
        private LearningRateSchedule lrSchedule = LearningRateSchedule.RELEASED;
        private double learningRate;
        private float beta1 = 0.5f;
        private long seed = 1;
        private long checkpointEvery = 1000;
        private String data;
        private LearningMethod method = ShortRun.builder().build();

        Builder() {}

        /**
         * Sets the number of iterations.
         *
         * @param iterations the iterations
         * @return this builder
         */
        public Builder setIterations(long iterations) {
            this.iterations = iterations;
            return this;
        }

        /**
         * Sets the batch size (default 100).
         *
         * @param batchSize the batch size
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets sigma, the observation noise (default 0.15), constant unless annealed.
         *
         * @param sigma sigma, or the annealing target
         * @return this builder
         */
        public Builder optSigma(float sigma) {
            this.sigma = sigma;
            return this;
        }

        /**
         * Anneals sigma linearly from {@code start} to the target over {@code iterations}.
         *
         * @param start sigma at iteration 0
         * @param iterations the length of the ramp
         * @return this builder
         */
        public Builder optSigmaAnneal(float start, long iterations) {
            this.sigmaStart = start;
            this.sigmaAnnealIterations = iterations;
            return this;
        }

        /**
         * Sets the learning-rate schedule and its base rate (0 for the schedule's default).
         *
         * @param schedule the schedule
         * @param base the base rate
         * @return this builder
         */
        public Builder optLearningRate(LearningRateSchedule schedule, double base) {
            this.lrSchedule = Objects.requireNonNull(schedule, "schedule");
            this.learningRate = base;
            return this;
        }

        /**
         * Sets Adam's beta1 (default 0.5).
         *
         * @param beta1 beta1
         * @return this builder
         */
        public Builder optBeta1(float beta1) {
            this.beta1 = beta1;
            return this;
        }

        /**
         * Sets the seed (default 1).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the checkpoint interval (default 1000; 0 for only at the end).
         *
         * @param every iterations between checkpoints
         * @return this builder
         */
        public Builder optCheckpointEvery(long every) {
            this.checkpointEvery = every;
            return this;
        }

        /**
         * Records what the run trains on (a dataset and its source), so that a resumed run cannot
         * silently train on other images: it is one of the settings {@link #resumeConflicts}
         * compares.
         *
         * @param data a description that identifies the training images, or null
         * @return this builder
         */
        public Builder optData(String data) {
            this.data = data;
            return this;
        }

        /**
         * Sets how the generator is learned (default: short-run inference with the released
         * script's K = 25 and s = 0.05).
         *
         * @param method the method, with its options
         * @return this builder
         */
        public Builder optMethod(LearningMethod method) {
            this.method = Objects.requireNonNull(method, "method");
            return this;
        }

        /**
         * Sets a method with the settings it was published with, sigma included.
         *
         * @param name the method's name, as {@link Methods} knows it
         * @return this builder
         * @throws InputException if no method has that name
         */
        public Builder optMethodAsPublished(String name) {
            LearningMethod published = Methods.published(name);
            return optMethod(published).optSigma(published.getPublishedSigma());
        }

        /**
         * Validates and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first value out of range
         */
        public LearningConfig build() {
            positive("iterations", iterations);
            positive("batch size", batchSize);
            if (batchSize > MAX_BATCH_SIZE) {
                throw new IllegalArgumentException(
                        "batch size must be at most " + MAX_BATCH_SIZE + ", got " + batchSize);
            }
            positive("sigma", sigma);
            if (sigmaStart != null) {
                positive("sigma anneal start", sigmaStart);
                positive("sigma anneal iterations", sigmaAnnealIterations);
            }
            if (learningRate < 0 || Double.isNaN(learningRate)) {
                throw new IllegalArgumentException(
                        "learning rate must be positive, got " + learningRate);
            }
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
            }
            if (checkpointEvery < 0) {
                throw new IllegalArgumentException(
                        "checkpoint interval must be >= 0, got " + checkpointEvery);
            }
            method.validate();
            return new LearningConfig(this);
        }

        private static void positive(String name, double value) {
            if (!(value > 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
        }
    }

    /**
     * The JSON of a configuration: the shared settings, and the method as an object of its own
     * ({@link Methods#toJson}). Reads too the flat form of the checkpoints written before methods
     * were objects, where the method was a name and its options sat beside the shared settings.
     */
    static final class Json
            implements JsonSerializer<LearningConfig>, JsonDeserializer<LearningConfig> {

        static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

        /** Settings that may be absent, being null in the configuration. */
        static final List<String> OPTIONAL = List.of("sigmaStart", "data");

        /** The shared settings, as the JSON holds them. */
        private static final class Fields {
            long iterations;
            int batchSize;
            float sigma;
            Float sigmaStart;
            long sigmaAnnealIterations;
            LearningRateSchedule lrSchedule;
            double learningRate;
            float beta1;
            long seed;
            long checkpointEvery;
            String data;
        }

        /** The flat form's options of each method, by their names there. */
        private static final List<String> LEGACY_OPTIONS =
                List.of(
                        "steps",
                        "stepSize",
                        "stepSizes",
                        "stepSizeTuning",
                        "klWarmup",
                        "codeLearningRate",
                        "metropolis",
                        "priorSteps",
                        "priorStepSize",
                        "priorLearningRateScale");

        @Override
        public JsonElement serialize(
                LearningConfig c, Type type, JsonSerializationContext context) {
            Fields f = new Fields();
            f.iterations = c.iterations;
            f.batchSize = c.batchSize;
            f.sigma = c.sigma;
            f.sigmaStart = c.sigmaStart;
            f.sigmaAnnealIterations = c.sigmaAnnealIterations;
            f.lrSchedule = c.lrSchedule;
            f.learningRate = c.learningRate;
            f.beta1 = c.beta1;
            f.seed = c.seed;
            f.checkpointEvery = c.checkpointEvery;
            f.data = c.data;
            JsonObject json = GSON.toJsonTree(f).getAsJsonObject();
            json.add("method", Methods.toJson(c.method));
            return json;
        }

        @Override
        public LearningConfig deserialize(
                JsonElement element, Type type, JsonDeserializationContext context) {
            if (!element.isJsonObject()) {
                throw new JsonParseException("the training settings are not a JSON object");
            }
            JsonObject json = element.getAsJsonObject();
            // from the text, not the tree: the tree's ints wrap 4294967297 to 1 where the text's
            // reader refuses it
            Fields f = GSON.fromJson(json.toString(), Fields.class);
            JsonElement m = json.get("method");
            LearningMethod method;
            try {
                method =
                        m != null && m.isJsonObject()
                                ? Methods.fromJson(m.getAsJsonObject())
                                : legacy(json, m);
            } catch (InputException e) {
                throw new JsonParseException(e.getMessage(), e);
            }
            if (f.lrSchedule == null) {
                throw new JsonParseException("the learning-rate schedule is missing");
            }
            Builder b =
                    builder()
                            .setIterations(f.iterations)
                            .optBatchSize(f.batchSize)
                            .optSigma(f.sigma)
                            .optLearningRate(f.lrSchedule, f.learningRate)
                            .optBeta1(f.beta1)
                            .optSeed(f.seed)
                            .optCheckpointEvery(f.checkpointEvery)
                            .optData(f.data)
                            .optMethod(method);
            if (f.sigmaStart != null) {
                b.optSigmaAnneal(f.sigmaStart, f.sigmaAnnealIterations);
            }
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new JsonParseException(e.getMessage(), e);
            }
        }

        /**
         * The method of the flat form: its name (short-run inference if none), its options beside.
         */
        private static LearningMethod legacy(JsonObject json, JsonElement name) {
            String methodName =
                    name == null || name.isJsonNull()
                            ? ShortRun.NAME
                            : name.getAsString().toLowerCase(Locale.ROOT);
            LearningMethod published = Methods.published(methodName);
            JsonObject options = new JsonObject();
            for (String key : LEGACY_OPTIONS) {
                String own =
                        key.equals("stepSize") && published instanceof LangevinAutoencoders
                                ? "eta"
                                : key;
                if (json.has(key) && Methods.optionNames(published).contains(own)) {
                    options.add(own, json.get(key));
                }
            }
            return Methods.withOptions(published, options);
        }
    }
}
