package org.shortrun.zoo;

/**
 * What the inference translators' builders share: K, s and sigma overriding the model's properties,
 * and the seed of each call's Langevin draws.
 *
 * @param <T> the concrete builder
 */
public abstract class LangevinTranslatorBuilder<T extends LangevinTranslatorBuilder<T>> {
    private Integer steps;
    private Float stepSize;
    private Float sigma;
    private Integer seed;

    LangevinTranslatorBuilder() {}

    /**
     * Returns this builder as its concrete type.
     *
     * @return this builder
     */
    protected abstract T self();

    /**
     * Overrides K, the Langevin steps (default: the model's).
     *
     * @param steps K
     * @return this builder
     */
    public T optSteps(int steps) {
        this.steps = steps;
        return self();
    }

    /**
     * Overrides the model's step sizes with one s, the Langevin noise standard deviation, shared by
     * every step (default: the model's, per step where it has sizes of its own).
     *
     * @param stepSize s
     * @return this builder
     */
    public T optStepSize(float stepSize) {
        this.stepSize = stepSize;
        return self();
    }

    /**
     * Overrides sigma, the observation noise (default: the model's at its iteration).
     *
     * @param sigma sigma
     * @return this builder
     */
    public T optSigma(float sigma) {
        this.sigma = sigma;
        return self();
    }

    /**
     * Sets the seed of every call's Langevin draws (default 1, as the commands'): each call draws
     * the same numbers, from a stream of its own; the engine's generator is left alone.
     *
     * @param seed the seed, as the commands' {@code --seed}
     * @return this builder
     */
    public T optSeed(int seed) {
        this.seed = seed;
        return self();
    }

    LangevinSettings settings() {
        return new LangevinSettings(steps, stepSize, sigma, seed);
    }
}
