package org.shortrun.inference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.shortrun.RandomStream;

/**
 * Amortised Langevin dynamics (Taniguchi et al., "Langevin Autoencoders", NeurIPS 2022): Langevin
 * updates act on the final linear map W of an encoder {@code e = W h(x)} instead of on each
 * example's latent, so that inference of a new image is one encoder pass.
 *
 * <pre>
 *   W = W - eta grad_W U + sqrt(2 eta / n) N(0, I),    U = (1/n) sum_i U(x_i, W h(x_i))
 * </pre>
 *
 * <p>which is the Langevin update of {@link Langevin#move} on the batch's summed energy with {@code
 * s = sqrt(2 eta / n)}. One run makes {@code burnIn + steps} updates; the energies at the W of the
 * last {@code steps} updates, before each, are what the trunk and the generator learn from (the
 * authors' code: one burn-in update, then two). With the Metropolis-Hastings correction, a proposal
 * is accepted with probability {@code min(1, exp(-U'_sum + U_sum) q(W | W') / q(W' | W))}, the
 * proposal's energy taken with the parameters fixed.
 */
public final class AmortisedLangevin {

    private final float stepSize;
    private final int steps;
    private final int burnIn;
    private final boolean metropolis;

    private AmortisedLangevin(Builder builder) {
        stepSize = builder.stepSize;
        steps = builder.steps;
        burnIn = builder.burnIn;
        metropolis = builder.metropolis;
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
     * @return eta, the step size of W's update
     */
    public float getStepSize() {
        return stepSize;
    }

    /**
     * @return the updates whose energies the learning uses
     */
    public int getSteps() {
        return steps;
    }

    /**
     * @return the updates made first, whose energies are not used
     */
    public int getBurnIn() {
        return burnIn;
    }

    /**
     * @return whether proposals are corrected by Metropolis-Hastings
     */
    public boolean isMetropolis() {
        return metropolis;
    }

    /**
     * The noise standard deviation of W's update for a batch of n, {@code sqrt(2 eta / n)}.
     *
     * @param batch n
     * @return s
     */
    public float noiseScale(long batch) {
        return (float) Math.sqrt(2.0 * stepSize / batch);
    }

    /** The energy a run samples W from. */
    @FunctionalInterface
    public interface Energy {

        /**
         * The batch's summed energy at W = {@code w}, in {@code w}'s autograd graph.
         *
         * @param w W; it requires a gradient
         * @param learn true at the updates the learning uses, where the parameters' gradients of
         *     the energy should accumulate; false at burn-in and for proposals, where they must not
         * @return a scalar
         */
        NDArray sum(NDArray w, boolean learn);
    }

    /**
     * Where W ended, and what the run saw.
     *
     * @param w W after the run
     * @param energies the batch's mean energy per example at each learning update, before it
     * @param proposals the proposals made under Metropolis-Hastings; 0 without it
     * @param accepted the proposals accepted
     */
    public record Result(NDArray w, float[] energies, int proposals, int accepted) {}

    /**
     * Runs {@code burnIn + steps} updates of W.
     *
     * @param energy the batch's energy as a function of W
     * @param w where W starts; left as it is
     * @param batch n, the number of examples the energy sums over
     * @param manager the manager the run's arrays and the W it returns go to
     * @param stream where the noise and the acceptance draws come from
     * @return W after the run and the energies seen
     */
    public Result run(
            Energy energy, NDArray w, long batch, NDManager manager, RandomStream stream) {
        float s = noiseScale(batch);
        float[] energies = new float[steps];
        int proposals = 0;
        int accepted = 0;
        NDArray current = w.duplicate();
        current.attach(manager);
        for (int t = 0; t < burnIn + steps; t++) {
            boolean learn = t >= burnIn;
            try (NDManager step = manager.newSubManager()) {
                current.attach(step);
                Point here = evaluate(energy, current, learn);
                if (learn) {
                    energies[t - burnIn] = (float) (here.energy / batch);
                }
                NDArray proposal =
                        Langevin.move(
                                current, here.gradient, s, stream.normal(step, current.getShape()));
                NDArray next = proposal;
                if (metropolis) {
                    proposals++;
                    Point there = evaluate(energy, proposal, false);
                    double logAcceptance =
                            here.energy
                                    - there.energy
                                    + logProposal(current, proposal, there.gradient, s)
                                    - logProposal(proposal, current, here.gradient, s);
                    if (Math.log(stream.uniform()) < logAcceptance) {
                        accepted++;
                    } else {
                        next = current.duplicate();
                    }
                }
                next.attach(manager);
                current = next;
            }
        }
        return new Result(current, energies, proposals, accepted);
    }

    private record Point(double energy, NDArray gradient) {}

    private static Point evaluate(Energy energy, NDArray w, boolean learn) {
        w.setRequiresGradient(true);
        double value;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray sum = energy.sum(w, learn);
            collector.backward(sum);
            value =
                    sum.getDataType() == ai.djl.ndarray.types.DataType.FLOAT64
                            ? sum.getDouble()
                            : sum.getFloat();
        }
        return new Point(value, w.getGradient().duplicate());
    }

    /**
     * log q(to | from) up to a constant: the Gaussian of a Langevin proposal from {@code from},
     * mean {@code from - (s^2 / 2) grad U(from)}, variance s^2.
     */
    static double logProposal(NDArray to, NDArray from, NDArray gradientAtFrom, float s) {
        double drift = (double) s * s / 2;
        try (NDArray mean = from.sub(gradientAtFrom.mul((float) drift));
                NDArray difference = to.sub(mean)) {
            double squares =
                    difference
                            .toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                            .square()
                            .sum()
                            .getDouble();
            return -squares / (2.0 * s * s);
        }
    }

    /** Builds an {@link AmortisedLangevin}. */
    public static final class Builder {
        private float stepSize = 1e-5f;
        private int steps = 2;
        private int burnIn = 1;
        private boolean metropolis = true;

        Builder() {}

        /**
         * Sets eta, the step size of W's update (default 1e-5).
         *
         * @param stepSize eta
         * @return this builder
         */
        public Builder setStepSize(float stepSize) {
            this.stepSize = stepSize;
            return this;
        }

        /**
         * Sets the updates whose energies the learning uses (default 2, the authors').
         *
         * @param steps the number of updates
         * @return this builder
         */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets the updates made first, whose energies are not used (default 1, the authors').
         *
         * @param burnIn the number of updates
         * @return this builder
         */
        public Builder optBurnIn(int burnIn) {
            this.burnIn = burnIn;
            return this;
        }

        /**
         * Whether to correct each proposal by Metropolis-Hastings (default true, as the authors'
         * code does; without it, a large gradient can throw W far off,
         * docs/LANGEVIN-AUTOENCODERS.md).
         *
         * @param metropolis true for the correction
         * @return this builder
         */
        public Builder optMetropolis(boolean metropolis) {
            this.metropolis = metropolis;
            return this;
        }

        /**
         * Builds the sampler.
         *
         * @return the sampler
         * @throws IllegalArgumentException if eta or the number of learning updates is not
         *     positive, or the burn-in is negative
         */
        public AmortisedLangevin build() {
            if (!(stepSize > 0) || Float.isInfinite(stepSize)) {
                throw new IllegalArgumentException(
                        "the step size eta must be positive, got " + stepSize);
            }
            if (steps <= 0) {
                throw new IllegalArgumentException(
                        "the number of W updates must be positive, got " + steps);
            }
            if (burnIn < 0) {
                throw new IllegalArgumentException(
                        "the burn-in must be >= 0 updates, got " + burnIn);
            }
            return new AmortisedLangevin(this);
        }
    }
}
