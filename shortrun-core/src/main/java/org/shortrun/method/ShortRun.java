package org.shortrun.method;

import ai.djl.ndarray.NDList;

/**
 * Short-run inference, the paper's method (Algorithm 1): every batch's latents are K Langevin steps
 * from noise, afresh for every batch, and the generator takes a step on the summed squared error at
 * them. The released script's K = 25 and s = 0.05 are the defaults.
 */
public final class ShortRun extends LangevinLearning {

    /** The name it is registered under. */
    public static final String NAME = "shortrun";

    private ShortRun(Builder builder) {
        super(NAME, builder);
    }

    /**
     * Returns a builder of the released script's settings.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder preset to these options.
     *
     * @return a builder holding these values
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** {@inheritDoc} */
    @Override
    public MethodState newState(MethodContext context) {
        return new State(context, this) {
            @Override
            public Step computeGradients(Batch batch) {
                NDList latents = inferLatents(batch.x(), batch.sigma(), batch.stream());
                return squaredErrorStep(batch.x(), latents, () -> {});
            }
        };
    }

    /** Builds a {@link ShortRun}. */
    public static final class Builder extends LangevinLearning.Builder<Builder> {

        Builder() {
            super(25, 0.05f);
        }

        Builder(ShortRun method) {
            super(method);
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Builds the method.
         *
         * @return the method
         * @throws IllegalArgumentException naming the first option out of range
         */
        public ShortRun build() {
            return new ShortRun(this);
        }
    }
}
