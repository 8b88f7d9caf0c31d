package org.shortrun.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The settings of a learning run. Immutable; serialised with the model configuration into
 * config.json and every checkpoint. Defaults are the released script's. (Not named after DJL's
 * {@code ai.djl.training.TrainingConfig}, a trainer's loss, optimiser and listeners, which a
 * shortrun run does not use.)
 */
public final class LearningConfig {

    /**
     * The largest batch a configuration may ask for: beyond it a damaged checkpoint, not a user, is
     * speaking.
     */
    public static final int MAX_BATCH_SIZE = 1 << 16;

    /** The most Langevin steps K a configuration may ask for. */
    public static final int MAX_STEPS = 100_000;

    /** The KL warm-up of {@link Method#LVAE} and {@link Method#VAE} unless set, in iterations. */
    public static final long DEFAULT_KL_WARMUP = 1000;

    /**
     * The prior's learning rate as a multiple of the learning rate, for {@link Method#CLAE}, unless
     * set.
     */
    public static final float DEFAULT_PRIOR_LEARNING_RATE_SCALE = 0.2f;

    /** The step size of {@link Method#GLO}'s code updates unless set. */
    public static final float DEFAULT_CODE_LEARNING_RATE = 0.01f;

    private final long iterations;
    private final int batchSize;
    private final int steps;
    private final float stepSize;
    // nullable: absent, every step starts at stepSize
    private final float[] stepSizes;
    private final float sigma;
    private final Float sigmaStart;
    private final long sigmaAnnealIterations;
    private final LearningRateSchedule lrSchedule;
    private final double learningRate;
    private final float beta1;
    private final long seed;
    private final long checkpointEvery;
    private final StepSizeTuning stepSizeTuning;
    private final String data;
    // nullable: a configuration read without it (Gson leaves fields unset) is short-run's
    private final Method method;
    // nullable as method is: absent means the default
    private final Long klWarmup;
    private final Float codeLearningRate;
    private final Boolean metropolis;
    private final Integer priorSteps;
    private final Float priorStepSize;
    private final Float priorLearningRateScale;

    private LearningConfig(Builder b) {
        iterations = b.iterations;
        batchSize = b.batchSize;
        steps = b.steps;
        stepSize =
                b.stepSizes != null
                        ? org.shortrun.inference.Langevin.meanOf(b.stepSizes)
                        : b.stepSize;
        stepSizes = b.stepSizes == null ? null : b.stepSizes.clone();
        sigma = b.sigma;
        sigmaStart = b.sigmaStart;
        sigmaAnnealIterations = b.sigmaAnnealIterations;
        lrSchedule = b.lrSchedule;
        learningRate = b.learningRate > 0 ? b.learningRate : b.lrSchedule.getDefaultBase();
        beta1 = b.beta1;
        seed = b.seed;
        checkpointEvery = b.checkpointEvery;
        stepSizeTuning = b.stepSizeTuning;
        data = b.data;
        method = b.method;
        klWarmup = b.klWarmup;
        codeLearningRate = b.codeLearningRate;
        metropolis = b.metropolis;
        priorSteps = b.priorSteps;
        priorStepSize = b.priorStepSize;
        priorLearningRateScale = b.priorLearningRateScale;
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
                        .optSteps(steps)
                        .optStepSize(stepSize)
                        .optSigma(sigma)
                        .optLearningRate(lrSchedule, learningRate)
                        .optBeta1(beta1)
                        .optSeed(seed)
                        .optCheckpointEvery(checkpointEvery)
                        .optStepSizeTuning(stepSizeTuning)
                        .optData(data)
                        .optMethod(getMethod());
        if (klWarmup != null) {
            b.optKlWarmup(klWarmup);
        }
        if (codeLearningRate != null) {
            b.optCodeLearningRate(codeLearningRate);
        }
        if (metropolis != null) {
            b.optMetropolis(metropolis);
        }
        if (priorSteps != null) {
            b.optPriorSteps(priorSteps);
        }
        if (priorStepSize != null) {
            b.optPriorStepSize(priorStepSize);
        }
        if (priorLearningRateScale != null) {
            b.optPriorLearningRateScale(priorLearningRateScale);
        }
        if (sigmaStart != null) {
            b.optSigmaAnneal(sigmaStart, sigmaAnnealIterations);
        }
        if (stepSizes != null) {
            b.optStepSizes(stepSizes);
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
     * @return K, the Langevin steps per inference
     */
    public int getSteps() {
        return steps;
    }

    /**
     * Returns s, the Langevin noise standard deviation at the start of the run: shared by every
     * step, or the mean of {@link #getStepSizes()}.
     *
     * @return the starting step size
     */
    public float getStepSize() {
        return stepSize;
    }

    /**
     * Returns s_1..s_K at the start of the run, when each step starts with a size of its own.
     *
     * @return a copy of the K step sizes, or null when every step starts at {@link #getStepSize()}
     */
    public float[] getStepSizes() {
        return stepSizes == null ? null : stepSizes.clone();
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
     * @return how s is re-optimised during the run, or null if it stays fixed
     */
    public StepSizeTuning getStepSizeTuning() {
        return stepSizeTuning;
    }

    /**
     * @return how the latents of a training batch are inferred
     */
    public Method getMethod() {
        return method == null ? Method.SHORTRUN : method;
    }

    /**
     * The iterations over which the KL term's weight rises linearly from 0 to 1 (KL warm-up,
     * Sønderby et al.), for {@link Method#LVAE} and {@link Method#VAE}.
     *
     * @return the warm-up length; 0 for the full ELBO from the start
     */
    public long getKlWarmup() {
        return klWarmup == null ? DEFAULT_KL_WARMUP : klWarmup;
    }

    /**
     * The step size of {@link Method#GLO}'s gradient steps on a code, on the code's summed squared
     * error.
     *
     * @return the code learning rate
     */
    public float getCodeLearningRate() {
        return codeLearningRate == null ? DEFAULT_CODE_LEARNING_RATE : codeLearningRate;
    }

    /**
     * Whether {@link Method#LAE} and {@link Method#CLAE} correct each proposal of W by
     * Metropolis-Hastings.
     *
     * @return true for the correction, the default (the authors' code's)
     */
    public boolean isMetropolis() {
        return metropolis == null || metropolis;
    }

    /**
     * The steps of short-run Langevin sampling from {@link Method#CLAE}'s energy-based prior.
     *
     * @return K of the prior's sampler
     */
    public int getPriorSteps() {
        return priorSteps == null ? org.shortrun.inference.PriorLangevin.DEFAULT_STEPS : priorSteps;
    }

    /**
     * The step size s of short-run Langevin sampling from {@link Method#CLAE}'s energy-based prior.
     *
     * @return s of the prior's sampler
     */
    public float getPriorStepSize() {
        return priorStepSize == null
                ? org.shortrun.inference.PriorLangevin.DEFAULT_STEP_SIZE
                : priorStepSize;
    }

    /**
     * The learning rate of {@link Method#CLAE}'s energy-based prior as a multiple of the learning
     * rate (Pang et al. 2020 learn their prior at a fifth of their generator's rate).
     *
     * @return the multiple; {@value #DEFAULT_PRIOR_LEARNING_RATE_SCALE} unless set
     */
    public float getPriorLearningRateScale() {
        return priorLearningRateScale == null
                ? DEFAULT_PRIOR_LEARNING_RATE_SCALE
                : priorLearningRateScale;
    }

    /**
     * The weight of the KL term at an iteration.
     *
     * @return the KL warm-up as a schedule
     */
    public Schedule klWeight() {
        long warmup = getKlWarmup();
        return warmup == 0 ? Schedule.constant(1) : Schedule.linear(0, 1, warmup);
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
     * interval. The step size is the run's starting s; where the run tunes s, the current value
     * lives in the checkpoint's sampler state, not here.
     *
     * @param asked the configuration a resumed run was asked to continue with
     * @return one entry per differing setting, "name: this value in the checkpoint, that asked";
     *     empty if the checkpoint can be resumed under {@code asked}
     */
    public List<String> resumeConflicts(LearningConfig asked) {
        List<String> conflicts = new ArrayList<>();
        conflict(conflicts, "batch size", batchSize, asked.batchSize);
        conflict(conflicts, "Langevin steps", steps, asked.steps);
        conflict(conflicts, "step size", stepSize, asked.stepSize);
        conflict(conflicts, "per-step sizes", describe(stepSizes), describe(asked.stepSizes));
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
        conflict(conflicts, "step-size tuning", stepSizeTuning, asked.stepSizeTuning);
        conflict(conflicts, "data", data, asked.data);
        conflict(conflicts, "method", getMethod(), asked.getMethod());
        conflict(conflicts, "KL warm-up", getKlWarmup(), asked.getKlWarmup());
        conflict(
                conflicts,
                "code learning rate",
                getCodeLearningRate(),
                asked.getCodeLearningRate());
        conflict(conflicts, "Metropolis-Hastings correction", isMetropolis(), asked.isMetropolis());
        conflict(conflicts, "prior's Langevin steps", getPriorSteps(), asked.getPriorSteps());
        conflict(
                conflicts,
                "prior's Langevin step size",
                getPriorStepSize(),
                asked.getPriorStepSize());
        conflict(
                conflicts,
                "prior's learning-rate scale",
                getPriorLearningRateScale(),
                asked.getPriorLearningRateScale());
        return conflicts;
    }

    private static String describe(float[] stepSizes) {
        return stepSizes == null ? null : Arrays.toString(stepSizes);
    }

    private static void conflict(
            List<String> conflicts, String name, Object checkpoint, Object asked) {
        if (!Objects.equals(checkpoint, asked)) {
            conflicts.add(name + ": " + checkpoint + " in the checkpoint, " + asked + " asked");
        }
    }

    /** Builds a {@link LearningConfig}. */
    public static final class Builder {
        private long iterations = 1000;
        private int batchSize = 100;
        private int steps = Method.SHORTRUN.getSteps();
        private float stepSize = Method.SHORTRUN.getStepSize();
        private float[] stepSizes;
        private float sigma = Method.SHORTRUN.getSigma();
        private Float sigmaStart;
        private long sigmaAnnealIterations;
        private LearningRateSchedule lrSchedule = LearningRateSchedule.RELEASED;
        private double learningRate;
        private float beta1 = 0.5f;
        private long seed = 1;
        private long checkpointEvery = 1000;
        private StepSizeTuning stepSizeTuning;
        private String data;
        private Method method = Method.SHORTRUN;
        private Long klWarmup;
        private Float codeLearningRate;
        private Boolean metropolis;
        private Integer priorSteps;
        private Float priorStepSize;
        private Float priorLearningRateScale;

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
         * Sets K (default 25).
         *
         * @param steps the Langevin steps
         * @return this builder
         */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets s, the Langevin noise standard deviation shared by every step (default 0.05),
         * replacing any per-step sizes.
         *
         * @param stepSize the step size
         * @return this builder
         */
        public Builder optStepSize(float stepSize) {
            this.stepSize = stepSize;
            this.stepSizes = null;
            return this;
        }

        /**
         * Starts the run with a step size per Langevin step, s_1..s_K (default: none, every step
         * takes {@link #optStepSize}'s s); the run's step size is then their mean.
         *
         * @param stepSizes K positive sizes, step k taking {@code stepSizes[k - 1]}; copied
         * @return this builder
         */
        public Builder optStepSizes(float[] stepSizes) {
            this.stepSizes = stepSizes.clone();
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
         * Re-optimises s during the run (default: null, s stays at its starting value).
         *
         * @param tuning when and how, or null
         * @return this builder
         */
        public Builder optStepSizeTuning(StepSizeTuning tuning) {
            this.stepSizeTuning = tuning;
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
         * Sets how the latents of a training batch are inferred (default: short-run inference).
         *
         * @param method the method
         * @return this builder
         */
        public Builder optMethod(Method method) {
            this.method = java.util.Objects.requireNonNull(method, "method");
            return this;
        }

        /**
         * Sets the iterations over which the KL weight of {@link Method#LVAE} and {@link
         * Method#VAE} rises from 0 to 1 (default {@value #DEFAULT_KL_WARMUP}; 0 for none).
         *
         * @param iterations the warm-up length
         * @return this builder
         */
        public Builder optKlWarmup(long iterations) {
            this.klWarmup = iterations;
            return this;
        }

        /**
         * Sets the step size of {@link Method#GLO}'s gradient steps on the codes (default {@value
         * #DEFAULT_CODE_LEARNING_RATE}).
         *
         * @param rate the code learning rate
         * @return this builder
         */
        public Builder optCodeLearningRate(float rate) {
            this.codeLearningRate = rate;
            return this;
        }

        /**
         * Sets the method together with the K, s and sigma it was published with.
         *
         * @param method the method
         * @return this builder
         */
        /**
         * Whether {@link Method#LAE} and {@link Method#CLAE} correct each proposal of W by
         * Metropolis-Hastings (default true, as the authors' code does).
         *
         * @param metropolis true for the correction
         * @return this builder
         */
        public Builder optMetropolis(boolean metropolis) {
            this.metropolis = metropolis;
            return this;
        }

        /**
         * Sets the steps of short-run Langevin sampling from {@link Method#CLAE}'s prior (default
         * 60, Pang et al.'s).
         *
         * @param steps K of the prior's sampler
         * @return this builder
         */
        public Builder optPriorSteps(int steps) {
            this.priorSteps = steps;
            return this;
        }

        /**
         * Sets the step size of short-run Langevin sampling from {@link Method#CLAE}'s prior
         * (default 0.4, Pang et al.'s).
         *
         * @param stepSize s of the prior's sampler
         * @return this builder
         */
        public Builder optPriorStepSize(float stepSize) {
            this.priorStepSize = stepSize;
            return this;
        }

        /**
         * Sets the learning rate of {@link Method#CLAE}'s prior as a multiple of the learning rate
         * (default {@value LearningConfig#DEFAULT_PRIOR_LEARNING_RATE_SCALE}).
         *
         * @param scale the multiple
         * @return this builder
         */
        public Builder optPriorLearningRateScale(float scale) {
            this.priorLearningRateScale = scale;
            return this;
        }

        public Builder optMethodAsPublished(Method method) {
            return optMethod(method)
                    .optSteps(method.getSteps())
                    .optStepSize(method.getStepSize())
                    .optSigma(method.getSigma());
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
            positive("steps K", steps);
            if (batchSize > MAX_BATCH_SIZE) {
                throw new IllegalArgumentException(
                        "batch size must be at most " + MAX_BATCH_SIZE + ", got " + batchSize);
            }
            if (steps > MAX_STEPS) {
                throw new IllegalArgumentException(
                        "steps K must be at most " + MAX_STEPS + ", got " + steps);
            }
            positive("step size", stepSize);
            if (stepSizes != null) {
                if (stepSizes.length != steps) {
                    throw new IllegalArgumentException(
                            stepSizes.length
                                    + " per-step sizes for K = "
                                    + steps
                                    + " Langevin steps");
                }
                for (int k = 0; k < steps; k++) {
                    if (!(stepSizes[k] > 0) || Float.isInfinite(stepSizes[k])) {
                        throw new IllegalArgumentException(
                                "step size s_"
                                        + (k + 1)
                                        + " must be positive, got "
                                        + stepSizes[k]);
                    }
                }
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
            if (klWarmup != null && klWarmup < 0) {
                throw new IllegalArgumentException(
                        "KL warm-up must be >= 0 iterations, got " + klWarmup);
            }
            if (codeLearningRate != null) {
                positive("code learning rate", codeLearningRate);
            }
            if (priorSteps != null) {
                positive("prior's Langevin steps", priorSteps);
                if (priorSteps > MAX_STEPS) {
                    throw new IllegalArgumentException(
                            "the prior's Langevin steps must be at most "
                                    + MAX_STEPS
                                    + ", got "
                                    + priorSteps);
                }
            }
            if (priorStepSize != null) {
                positive("prior's Langevin step size", priorStepSize);
            }
            if (priorLearningRateScale != null) {
                positive("prior's learning-rate scale", priorLearningRateScale);
            }
            return new LearningConfig(this);
        }

        private static void positive(String name, double value) {
            if (!(value > 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
        }
    }
}
