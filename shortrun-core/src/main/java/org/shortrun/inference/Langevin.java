package org.shortrun.inference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import org.shortrun.RandomStream;
import org.shortrun.model.LatentGenerator;

/**
 * Noise-initialised short-run Langevin dynamics on the whitened latents of a generator.
 *
 * <p>For {@code k = 1..K}, with {@code e_0 ~ N(0, I)} drawn afresh for every batch:
 *
 * <pre>
 *   grad = d/de ||mask * (x - g(e))||^2 / (2 sigma^2)
 *   e    = e - (s_k^2 / 2) (grad + e) + s_k N(0, I)
 * </pre>
 *
 * <p>{@code s_k} is step k's noise standard deviation; the paper's step size in eq. (10) is {@code
 * s^2/2}. The paper shares one s among all steps ({@link Builder#setStepSize}), which is the
 * special case of a schedule s_1..s_K ({@link Builder#optStepSizes}) with equal entries. The
 * generator's parameters are frozen for the K steps, so autograd computes no parameter gradients:
 * only the latents' are needed.
 */
public final class Langevin {

    private final int steps;
    private final float[] stepSizes;
    private final boolean freezeParameters;

    private Langevin(Builder builder) {
        steps = builder.steps;
        if (builder.stepSizes != null) {
            stepSizes = builder.stepSizes.clone();
        } else {
            stepSizes = new float[steps];
            Arrays.fill(stepSizes, builder.stepSize);
        }
        freezeParameters = builder.freezeParameters;
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
     * Returns K.
     *
     * @return the number of steps
     */
    public int getSteps() {
        return steps;
    }

    /**
     * Returns s, the noise standard deviation shared by every step; for a schedule of distinct
     * s_1..s_K, their mean, as one number to report.
     *
     * @return the shared step size, or the mean of the per-step sizes
     */
    public float getStepSize() {
        return meanOf(stepSizes);
    }

    /**
     * Returns s_1..s_K, each step's noise standard deviation; all equal for a shared s.
     *
     * @return a copy of the K step sizes
     */
    public float[] getStepSizes() {
        return stepSizes.clone();
    }

    /**
     * Whether every step has the same size.
     *
     * @return true for a shared s
     */
    public boolean hasSharedStepSize() {
        return isShared(stepSizes);
    }

    /**
     * Returns a copy with another step size, shared by every step.
     *
     * @param s the new step size
     * @return a sampler with K unchanged and step size s
     */
    public Langevin withStepSize(float s) {
        return builder()
                .setSteps(steps)
                .setStepSize(s)
                .optFreezeParameters(freezeParameters)
                .build();
    }

    /**
     * Returns a copy with a step size per step.
     *
     * @param s s_1..s_K, K of them
     * @return a sampler with K unchanged and step k taking s[k - 1]
     * @throws IllegalArgumentException if there are not K sizes or one is not positive
     */
    public Langevin withStepSizes(float[] s) {
        return builder()
                .setSteps(steps)
                .optStepSizes(s)
                .optFreezeParameters(freezeParameters)
                .build();
    }

    /**
     * The sampler an evaluation takes when its caller overrides some of a trained sampler's
     * settings: this one unless K or s is given; a given s is shared by every step; another K keeps
     * this sampler's s, which it can only if every step shares it.
     *
     * @param steps K, or null for this sampler's
     * @param stepSize s for every step, or null for this sampler's
     * @return the sampler
     * @throws IllegalArgumentException if K or s is not positive, or K differs from this sampler's
     *     per-step sizes and no s is given
     */
    public Langevin overriding(Integer steps, Float stepSize) {
        int k = steps != null ? steps : this.steps;
        if (stepSize != null) {
            return builder()
                    .setSteps(k)
                    .setStepSize(stepSize)
                    .optFreezeParameters(freezeParameters)
                    .build();
        }
        if (k == this.steps) {
            return this;
        }
        if (!hasSharedStepSize()) {
            throw new IllegalArgumentException(
                    "the sampler has a step size per step for its K = "
                            + this.steps
                            + " steps, which cannot be used for K = "
                            + k
                            + "; give a step size too");
        }
        return builder()
                .setSteps(k)
                .setStepSize(stepSizes[0])
                .optFreezeParameters(freezeParameters)
                .build();
    }

    /**
     * The mean of step sizes, in double precision and rounded once to float: the one number a
     * per-step schedule reports as its step size, and the shared s itself when all are equal.
     *
     * @param stepSizes s_1..s_K
     * @return their mean
     */
    public static float meanOf(float[] stepSizes) {
        if (isShared(stepSizes)) {
            return stepSizes[0];
        }
        double sum = 0;
        for (float s : stepSizes) {
            sum += s;
        }
        return (float) (sum / stepSizes.length);
    }

    private static boolean isShared(float[] stepSizes) {
        for (float s : stepSizes) {
            if (s != stepSizes[0]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the generator's parameters are frozen during the K steps (the default).
     *
     * @return true if parameters get no gradient during inference
     */
    public boolean freezesParameters() {
        return freezeParameters;
    }

    /**
     * Infers the latents of a batch, drawing from the engine's random generator; {@link
     * #infer(LatentGenerator, ParameterStore, NDArray, NDArray, float, boolean, RandomStream)}
     * draws from a seeded stream instead.
     *
     * @param generator the generator; its parameters are left untouched
     * @param parameterStore the store the generator reads its parameters from
     * @param x the images {@code [n, c, h, w]}
     * @param mask 1 for observed pixels and 0 for missing ones, broadcastable to x; or null
     * @param sigma the observation noise standard deviation
     * @param recordEnergy whether to record the mean energy per example at every step
     * @return the final latents (in x's manager) and the energies if asked
     */
    public Result infer(
            LatentGenerator generator,
            ParameterStore parameterStore,
            NDArray x,
            NDArray mask,
            float sigma,
            boolean recordEnergy) {
        return infer(generator, parameterStore, x, mask, sigma, recordEnergy, null);
    }

    /**
     * Infers the latents of a batch, drawing e_0 and every step's noise from {@code stream}.
     *
     * @param generator the generator; its parameters are left untouched
     * @param parameterStore the store the generator reads its parameters from
     * @param x the images {@code [n, c, h, w]}
     * @param mask 1 for observed pixels and 0 for missing ones, broadcastable to x; or null
     * @param sigma the observation noise standard deviation
     * @param recordEnergy whether to record the mean energy per example at every step
     * @param stream where the random draws come from; null for the engine's generator
     * @return the final latents (in x's manager) and the energies if asked
     */
    public Result infer(
            LatentGenerator generator,
            ParameterStore parameterStore,
            NDArray x,
            NDArray mask,
            float sigma,
            boolean recordEnergy,
            RandomStream stream) {
        NDManager manager = x.getManager();
        long n = x.getShape().get(0);
        NDList e = new NDList();
        for (Shape shape : generator.latentShapes(n)) {
            e.add(normal(stream, manager, shape));
        }
        return run(generator, parameterStore, x, mask, sigma, recordEnergy, stream, e);
    }

    /**
     * Continues chains from given latents instead of noise, as alternating back-propagation
     * continues each training example's persistent chain: the same K steps, drawing every step's
     * noise from {@code stream}.
     *
     * @param generator the generator; its parameters are left untouched
     * @param parameterStore the store the generator reads its parameters from
     * @param x the images {@code [n, c, h, w]}
     * @param start the latents to start from, top first, each {@code [n, z_dim]}; left as they are
     * @param sigma the observation noise standard deviation
     * @param stream where the random draws come from; null for the engine's generator
     * @return the final latents (in x's manager)
     */
    public Result continueFrom(
            LatentGenerator generator,
            ParameterStore parameterStore,
            NDArray x,
            NDList start,
            float sigma,
            RandomStream stream) {
        NDList e = new NDList(start.size());
        for (NDArray latent : start) {
            NDArray copy = latent.duplicate();
            copy.attach(x.getManager());
            e.add(copy);
        }
        return run(generator, parameterStore, x, null, sigma, false, stream, e);
    }

    private Result run(
            LatentGenerator generator,
            ParameterStore parameterStore,
            NDArray x,
            NDArray mask,
            float sigma,
            boolean recordEnergy,
            RandomStream stream,
            NDList e) {
        NDManager manager = x.getManager();
        long n = x.getShape().get(0);
        float[] energies = recordEnergy ? new float[steps] : null;
        float inverseTwoVariance = 1f / (2f * sigma * sigma);
        if (freezeParameters) {
            generator.freezeParameters(true);
        }
        try {
            for (int k = 0; k < steps; k++) {
                try (NDManager step = manager.newSubManager()) {
                    e.attach(step);
                    // the residual and its square are made in x's manager; lent to the step's
                    // manager, they are closed with it instead of piling up until x's is
                    x.tempAttach(step);
                    if (mask != null) {
                        mask.tempAttach(step);
                    }
                    for (NDArray latent : e) {
                        latent.setRequiresGradient(true);
                    }
                    try (GradientCollector collector =
                            Engine.getInstance().newGradientCollector()) {
                        NDArray residual =
                                x.sub(
                                        generator
                                                .forward(parameterStore, e, true)
                                                .singletonOrThrow());
                        if (mask != null) {
                            residual = residual.mul(mask);
                        }
                        // backward on the plain sum of squares; 1/(2 sigma^2) scales the gradient
                        // below, outside the graph (see docs/DESIGN.md on scalars in graphs)
                        NDArray squaredError = residual.square().sum();
                        collector.backward(squaredError);
                        if (recordEnergy) {
                            energies[k] =
                                    (squaredError.getFloat() * inverseTwoVariance + priorEnergy(e))
                                            / n;
                        }
                    }
                    NDList next = new NDList(e.size());
                    for (NDArray latent : e) {
                        next.add(
                                update(
                                        latent,
                                        latent.getGradient(),
                                        stepSizes[k],
                                        inverseTwoVariance,
                                        normal(stream, step, latent.getShape())));
                    }
                    next.attach(manager);
                    e = next;
                }
            }
        } finally {
            if (freezeParameters) {
                generator.freezeParameters(false);
            }
        }
        return new Result(e, energies);
    }

    /**
     * One Langevin update, the float32 batched form: {@code e - (s^2/2)(grad + e) + s eps}, where
     * {@code grad} is the likelihood term's gradient, given unscaled as the gradient of the summed
     * squared error and scaled here by {@code 1/(2 sigma^2)}, outside any graph. {@link
     * #update(double[], double[], double, double[])} is the same rule in float64.
     *
     * @param latent e, any shape
     * @param squaredErrorGradient d/de of the summed squared error, e's shape; consumed
     * @param s this step's size s_k
     * @param inverseTwoVariance 1/(2 sigma^2)
     * @param noise eps, standard normal, e's shape; consumed, and returned as the new e
     * @return the updated latent
     */
    public static NDArray update(
            NDArray latent,
            NDArray squaredErrorGradient,
            float s,
            float inverseTwoVariance,
            NDArray noise) {
        float drift = s * s / 2f;
        return noise.muli(s)
                .addi(latent.mul(1f - drift))
                .subi(squaredErrorGradient.muli(drift * inverseTwoVariance));
    }

    /**
     * One Langevin update on any array, given the whole energy's gradient: {@code x - (s^2 / 2)
     * energyGradient + s eps}, into a new array. {@link AmortisedLangevin} moves an encoder's final
     * linear map by it; {@link #update(double[], double[], double, double[])} is the same rule in
     * float64.
     *
     * @param x the array moved
     * @param energyGradient d/dx of the energy at x; left as it is
     * @param s the step's size
     * @param noise eps, standard normal, x's shape; left as it is
     * @return the updated array, of x's data type
     */
    public static NDArray move(NDArray x, NDArray energyGradient, float s, NDArray noise) {
        float drift = s * s / 2f;
        try (NDArray scaled = energyGradient.mul(drift);
                NDArray typed = noise.toType(x.getDataType(), false)) {
            return typed.mul(s).addi(x).subi(scaled);
        }
    }

    /**
     * One Langevin update, the float64 form the step-size objective differentiates: {@code e -
     * (s^2/2) energyGradient + s eps}, in place, where {@code energyGradient} is the whole energy's
     * (prior and likelihood). The same rule as {@link #update(NDArray, NDArray, float, float,
     * NDArray)}.
     *
     * @param e the latent, d values; updated in place
     * @param energyGradient d/de of the energy at e
     * @param s this step's size s_k
     * @param noise eps, d standard normals
     */
    public static void update(double[] e, double[] energyGradient, double s, double[] noise) {
        double drift = s * s / 2;
        for (int i = 0; i < e.length; i++) {
            e[i] = e[i] - drift * energyGradient[i] + s * noise[i];
        }
    }

    private static NDArray normal(RandomStream stream, NDManager manager, Shape shape) {
        return stream == null ? manager.randomNormal(shape) : stream.normal(manager, shape);
    }

    private static float priorEnergy(NDList e) {
        float sum = 0f;
        for (NDArray latent : e) {
            sum += latent.square().sum().getFloat() / 2f;
        }
        return sum;
    }

    /** The latents after K steps, and optionally the energy at each step. */
    public static final class Result {
        private final NDList latents;
        private final float[] energies;

        Result(NDList latents, float[] energies) {
            this.latents = latents;
            this.energies = energies;
        }

        /**
         * Returns the latents after K steps, top first.
         *
         * @return the latents
         */
        public NDList getLatents() {
            return latents;
        }

        /**
         * Returns the mean energy per example, {@code ||e||^2/2 + ||x - g(e)||^2/(2 sigma^2)}, at
         * each step before its update; null unless asked for.
         *
         * @return the energies or null
         */
        public float[] getEnergies() {
            return energies == null ? null : energies.clone();
        }
    }

    /** Builds a {@link Langevin}. */
    public static final class Builder {
        private int steps = 25;
        private float stepSize = 0.05f;
        private float[] stepSizes;
        private boolean freezeParameters = true;

        Builder() {}

        /**
         * Sets K (default 25).
         *
         * @param steps the number of steps
         * @return this builder
         */
        public Builder setSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets s, the noise standard deviation shared by every step (default 0.05, the released
         * value), replacing any schedule given by {@link #optStepSizes}.
         *
         * @param stepSize the step size
         * @return this builder
         */
        public Builder setStepSize(float stepSize) {
            this.stepSize = stepSize;
            this.stepSizes = null;
            return this;
        }

        /**
         * Sets a step size per step, s_1..s_K, instead of one shared s (default: none, every step
         * takes {@link #setStepSize}'s). Equal entries give exactly the shared sampler.
         *
         * @param stepSizes K positive sizes, step k taking {@code stepSizes[k - 1]}; copied
         * @return this builder
         */
        public Builder optStepSizes(float[] stepSizes) {
            this.stepSizes = stepSizes.clone();
            return this;
        }

        /**
         * Whether to freeze the generator's parameters during the K steps (default true). Only for
         * measuring what freezing saves: unfrozen, autograd also computes parameter gradients,
         * which accumulate and must be cleared before a learning step.
         *
         * @param freeze false to let the parameters receive gradients
         * @return this builder
         */
        public Builder optFreezeParameters(boolean freeze) {
            this.freezeParameters = freeze;
            return this;
        }

        /**
         * Builds the sampler.
         *
         * @return the sampler
         * @throws IllegalArgumentException if K or a step size is not positive, or a schedule does
         *     not have K sizes
         */
        public Langevin build() {
            if (steps <= 0) {
                throw new IllegalArgumentException("steps K must be positive, got " + steps);
            }
            if (stepSizes == null) {
                checkStepSize("step size", stepSize);
            } else {
                if (stepSizes.length != steps) {
                    throw new IllegalArgumentException(
                            stepSizes.length + " step sizes for K = " + steps + " steps");
                }
                for (int k = 0; k < steps; k++) {
                    checkStepSize("step size s_" + (k + 1), stepSizes[k]);
                }
            }
            return new Langevin(this);
        }

        private static void checkStepSize(String name, float value) {
            if (!(value > 0f) || Float.isInfinite(value)) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
        }
    }
}
