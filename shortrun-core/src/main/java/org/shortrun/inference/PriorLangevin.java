package org.shortrun.inference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.shortrun.RandomStream;
import org.shortrun.model.EnergyPrior;

/**
 * Noise-initialised short-run Langevin dynamics on an energy-based latent prior, {@code p(e) ~
 * exp(-E(e)) N(e; 0, I)}: from {@code e_0 ~ N(0, I)}, K steps of {@code e = e - (s^2 / 2) (grad
 * E(e) + e) + s N(0, I)}, the update {@link Langevin} takes with the likelihood's gradient replaced
 * by the prior energy's. The prior's parameters are frozen during the steps. Pang et al. (2020)
 * take K = 60 and s = 0.4, the defaults here.
 */
public final class PriorLangevin {

    /** The default number of steps. */
    public static final int DEFAULT_STEPS = 60;

    /** The default step size s. */
    public static final float DEFAULT_STEP_SIZE = 0.4f;

    private final int steps;
    private final float stepSize;

    /**
     * Creates a sampler.
     *
     * @param steps K
     * @param stepSize s
     * @throws IllegalArgumentException if either is not positive
     */
    public PriorLangevin(int steps, float stepSize) {
        if (steps <= 0) {
            throw new IllegalArgumentException(
                    "the prior's Langevin steps must be positive, got " + steps);
        }
        if (!(stepSize > 0) || Float.isInfinite(stepSize)) {
            throw new IllegalArgumentException(
                    "the prior's Langevin step size must be positive, got " + stepSize);
        }
        this.steps = steps;
        this.stepSize = stepSize;
    }

    /**
     * @return K
     */
    public int getSteps() {
        return steps;
    }

    /**
     * @return s
     */
    public float getStepSize() {
        return stepSize;
    }

    /**
     * Draws latents from the prior by K steps from noise.
     *
     * @param prior the energy-based prior
     * @param parameterStore the store its parameters are read from
     * @param manager the manager the samples go to
     * @param count how many
     * @param stream where the starting latents and the noise come from
     * @return {@code [count, d]}, with no autograd graph
     */
    public NDArray sample(
            EnergyPrior prior,
            ParameterStore parameterStore,
            NDManager manager,
            int count,
            RandomStream stream) {
        Shape shape = new Shape(count, prior.getLatentDimension());
        NDArray e = stream.normal(manager, shape);
        prior.freezeParameters(true);
        try {
            for (int k = 0; k < steps; k++) {
                try (NDManager step = manager.newSubManager()) {
                    e.attach(step);
                    e.setRequiresGradient(true);
                    try (GradientCollector collector =
                            Engine.getInstance().newGradientCollector()) {
                        collector.backward(prior.energy(parameterStore, e, true).sum());
                    }
                    NDArray next =
                            Langevin.update(
                                    e, e.getGradient(), stepSize, 1f, stream.normal(step, shape));
                    next.attach(manager);
                    e = next;
                }
            }
        } finally {
            prior.freezeParameters(false);
        }
        return e;
    }
}
