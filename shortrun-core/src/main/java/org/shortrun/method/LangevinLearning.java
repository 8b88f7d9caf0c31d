package org.shortrun.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.shortrun.RandomStream;
import org.shortrun.inference.Langevin;
import org.shortrun.stepsize.StepSizeTuning;

/**
 * The methods whose inference is K Langevin steps on the whitened latents ({@link ShortRun}, and
 * {@link PersistentChains} for training): they share the sampler's options (K, the step size s or
 * one per step, and how the run re-optimises s) and their loss, the batch's summed squared
 * reconstruction error at the inferred latents. Their state owns the sampler, and with it the step
 * size.
 */
public abstract class LangevinLearning implements LearningMethod {

    /** The most Langevin steps K a method may take. */
    public static final int MAX_STEPS = 100_000;

    private static final Map<String, String> LABELS =
            Map.of(
                    "steps", "Langevin steps",
                    "stepSize", "step size",
                    "stepSizes", "per-step sizes",
                    "stepSizeTuning", "step-size tuning");

    private final String name;
    private final int steps;
    private final float stepSize;
    // null when every step starts at stepSize
    private final float[] stepSizes;
    // null when s stays as it starts
    private final StepSizeTuning stepSizeTuning;

    /**
     * Creates the options from a builder and checks them.
     *
     * @param name the method's name
     * @param builder the options
     */
    protected LangevinLearning(String name, Builder<?> builder) {
        this.name = name;
        steps = builder.steps;
        stepSizes = builder.stepSizes == null ? null : builder.stepSizes.clone();
        stepSize = stepSizes != null ? Langevin.meanOf(stepSizes) : builder.stepSize;
        stepSizeTuning = builder.stepSizeTuning;
        validate();
    }

    /** {@inheritDoc} */
    @Override
    public boolean infersInSteps() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /**
     * Returns K, the Langevin steps of each inference.
     *
     * @return K
     */
    public int getSteps() {
        return steps;
    }

    /**
     * Returns s, the noise standard deviation at the start of a run: shared by every step, or the
     * mean of {@link #getStepSizes()}.
     *
     * @return the starting step size
     */
    public float getStepSize() {
        return stepSize;
    }

    /**
     * Returns s_1..s_K at the start of a run, when each step starts with a size of its own.
     *
     * @return a copy of the K sizes, or null when every step starts at {@link #getStepSize()}
     */
    public float[] getStepSizes() {
        return stepSizes == null ? null : stepSizes.clone();
    }

    /**
     * Returns how a run re-optimises s by the variational objective.
     *
     * @return the tuning, or null if s stays as it starts
     */
    public StepSizeTuning getStepSizeTuning() {
        return stepSizeTuning;
    }

    /**
     * The sampler a run starts with.
     *
     * @return K steps of the starting sizes
     */
    public Langevin newSampler() {
        Langevin.Builder b = Langevin.builder().setSteps(steps).setStepSize(stepSize);
        if (stepSizes != null) {
            b.optStepSizes(stepSizes);
        }
        return b.build();
    }

    /** {@inheritDoc} */
    @Override
    public void validate() {
        if (steps <= 0) {
            throw new IllegalArgumentException("steps K must be positive, got " + steps);
        }
        if (steps > MAX_STEPS) {
            throw new IllegalArgumentException(
                    "steps K must be at most " + MAX_STEPS + ", got " + steps);
        }
        if (!(stepSize > 0) || Float.isInfinite(stepSize)) {
            throw new IllegalArgumentException("step size must be positive, got " + stepSize);
        }
        if (stepSizes != null) {
            if (stepSizes.length != steps) {
                throw new IllegalArgumentException(
                        stepSizes.length + " per-step sizes for K = " + steps + " Langevin steps");
            }
            for (int k = 0; k < steps; k++) {
                if (!(stepSizes[k] > 0) || Float.isInfinite(stepSizes[k])) {
                    throw new IllegalArgumentException(
                            "step size s_" + (k + 1) + " must be positive, got " + stepSizes[k]);
                }
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public String describeOption(String option) {
        return LABELS.getOrDefault(option, option);
    }

    /**
     * The options of a Langevin method.
     *
     * @param <T> the concrete builder
     */
    public abstract static class Builder<T extends Builder<T>> {
        int steps;
        float stepSize;
        float[] stepSizes;
        StepSizeTuning stepSizeTuning;

        Builder(int steps, float stepSize) {
            this.steps = steps;
            this.stepSize = stepSize;
        }

        Builder(LangevinLearning method) {
            steps = method.steps;
            stepSize = method.stepSize;
            stepSizes = method.getStepSizes();
            stepSizeTuning = method.stepSizeTuning;
        }

        /**
         * Returns this builder.
         *
         * @return this
         */
        protected abstract T self();

        /**
         * Sets K, the Langevin steps of each inference.
         *
         * @param steps K
         * @return this builder
         */
        public T optSteps(int steps) {
            this.steps = steps;
            return self();
        }

        /**
         * Sets s, the noise standard deviation shared by every step, replacing any per-step sizes.
         *
         * @param stepSize s
         * @return this builder
         */
        public T optStepSize(float stepSize) {
            this.stepSize = stepSize;
            this.stepSizes = null;
            return self();
        }

        /**
         * Starts with a step size per Langevin step, s_1..s_K; the step size is then their mean.
         *
         * @param stepSizes K positive sizes, step k taking {@code stepSizes[k - 1]}; copied
         * @return this builder
         */
        public T optStepSizes(float[] stepSizes) {
            this.stepSizes = stepSizes == null ? null : stepSizes.clone();
            return self();
        }

        /**
         * Re-optimises s during a run (default: null, s stays as it starts).
         *
         * @param tuning when and how, or null
         * @return this builder
         */
        public T optStepSizeTuning(StepSizeTuning tuning) {
            this.stepSizeTuning = tuning;
            return self();
        }
    }

    /** The state of a Langevin method: the sampler, whose step size a run may re-optimise. */
    abstract static class State extends MethodState {

        private Langevin langevin;

        State(MethodContext context, LangevinLearning method) {
            super(context);
            langevin = method.newSampler();
        }

        @Override
        public Langevin getLangevin() {
            return langevin;
        }

        @Override
        public void setLangevin(Langevin langevin) {
            this.langevin = langevin;
        }

        @Override
        public NDList inferLatents(NDArray x, float sigma, RandomStream stream) {
            return langevin.infer(generator, parameterStore, x, null, sigma, false, stream)
                    .getLatents();
        }

        /**
         * The loss of the inferred latents: the summed squared error, whose gradient the
         * generator's parameters receive.
         */
        Step squaredErrorStep(NDArray x, NDList latents, Runnable commit) {
            if (!langevin.freezesParameters()) {
                // unfrozen, the Langevin steps left parameter gradients behind
                for (Parameter p : generator.getParameters().values()) {
                    try (NDArray grad = p.getArray().getGradient()) {
                        grad.subi(grad);
                    }
                }
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray reconstruction =
                        generator.forward(parameterStore, latents, true).singletonOrThrow();
                NDArray sse = x.sub(reconstruction).square().sum();
                collector.backward(sse);
                float value = sse.getFloat();
                return new Step(value, value, commit);
            }
        }
    }
}
