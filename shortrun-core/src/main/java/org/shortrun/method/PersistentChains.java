package org.shortrun.method;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.List;

/**
 * Alternating back-propagation (Han et al. 2017): K Langevin steps continuing each training
 * example's persistent chain, whose end is kept for the example's next visit and saved in the
 * checkpoint's {@value #LATENTS}. A held-out image's chain starts from noise, as short-run
 * inference's does. Han et al.'s K = 40, s = 0.3 and sigma = 0.3 are the defaults.
 */
public final class PersistentChains extends LangevinLearning {

    /** The name it is registered under. */
    public static final String NAME = "abp";

    /** The checkpoint file the chains are kept in. */
    public static final String LATENTS = "latents.bin";

    private PersistentChains(Builder builder) {
        super(NAME, builder);
    }

    /**
     * Returns a builder of Han et al.'s settings.
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
    public float getPublishedSigma() {
        return 0.3f;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> getCheckpointFiles() {
        return List.of(LATENTS);
    }

    /** {@inheritDoc} */
    @Override
    public MethodState newState(MethodContext context) {
        return new ChainState(context, this);
    }

    /** The chains a state of this method keeps, for tests; null before prepareFor. */
    static PersistentLatents chainsOf(MethodState state) {
        return ((ChainState) state).chains;
    }

    /** The sampler and one chain per training example. */
    private static final class ChainState extends State {

        private final long seed;
        private PersistentLatents chains;

        ChainState(MethodContext context, PersistentChains method) {
            super(context, method);
            seed = context.seed();
        }

        @Override
        public void prepareFor(int imageCount) {
            chains = PersistentLatents.prepare(chains, imageCount, generator, seed, false);
        }

        @Override
        public Step computeGradients(Batch batch) {
            int[] indices = batch.indices();
            if (chains == null || indices == null) {
                throw new IllegalStateException(
                        NAME + " needs prepareFor(count) and the batch's indices");
            }
            NDManager scope = batch.x().getManager();
            NDList latents =
                    getLangevin()
                            .continueFrom(
                                    generator,
                                    parameterStore,
                                    batch.x(),
                                    chains.gather(scope, indices),
                                    batch.sigma(),
                                    batch.stream())
                            .getLatents();
            return squaredErrorStep(batch.x(), latents, () -> chains.scatter(indices, latents));
        }

        @Override
        public String describeNonFinite() {
            return chains != null && !chains.isFinite()
                    ? "the persistent latents hold a non-finite value"
                    : null;
        }

        @Override
        public void save(StateFiles files) throws IOException {
            if (chains == null) {
                throw new IllegalStateException(
                        NAME + " keeps no chains before prepareFor(count); nothing to save");
            }
            files.write(LATENTS, chains::write);
        }

        @Override
        public void load(StateFiles files, boolean learning) throws IOException {
            if (learning) {
                try (DataInputStream in = files.read(LATENTS)) {
                    chains =
                            PersistentLatents.read(
                                    in, generator.getLatentShapes(), files.size(LATENTS));
                }
            }
        }
    }

    /** Builds a {@link PersistentChains}. */
    public static final class Builder extends LangevinLearning.Builder<Builder> {

        Builder() {
            super(40, 0.3f);
        }

        Builder(PersistentChains method) {
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
        public PersistentChains build() {
            return new PersistentChains(this);
        }
    }
}
