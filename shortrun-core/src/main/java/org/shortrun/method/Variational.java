package org.shortrun.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.Schedule;
import org.shortrun.inference.AmortisedPosterior;
import org.shortrun.model.DenseEncoder;
import org.shortrun.model.LadderEncoder;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;

/**
 * The VAEs the paper compares with: an encoder, learned with the generator, whose Gaussians are the
 * posterior of every whitened latent ({@code vae}), or, for the ladder generator, are merged with
 * its top-down priors by precision weighting (Ladder-VAE, Sønderby et al. 2016, {@code lvae}); the
 * loss is the negative ELBO with KL warm-up. Held-out images take the posterior means. The encoder
 * mirrors the ladder ({@link LadderEncoder}) for a ladder generator and is dense ({@link
 * DenseEncoder}) for any other; it is saved in {@value #ENCODER}.
 */
public final class Variational implements LearningMethod {

    /** The name of the VAE. */
    public static final String VAE = "vae";

    /** The name of Ladder-VAE. */
    public static final String LADDER_VAE = "lvae";

    /** The checkpoint file the encoder is kept in. */
    public static final String ENCODER = "encoder.bin";

    /** The KL warm-up unless set, in iterations. */
    public static final long DEFAULT_KL_WARMUP = 1000;

    private final String name;
    private final long klWarmup;
    private final int encoderUnits;

    private Variational(Builder b) {
        name = b.ladder ? LADDER_VAE : VAE;
        klWarmup = b.klWarmup;
        encoderUnits = b.encoderUnits;
        validate();
    }

    /**
     * Returns a builder of a VAE.
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
        return new Builder()
                .optLadder(isLadder())
                .optKlWarmup(klWarmup)
                .optEncoderUnits(encoderUnits);
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /**
     * Whether the encoder's Gaussians merge with the generator's top-down priors (Ladder-VAE).
     *
     * @return true for Ladder-VAE
     */
    public boolean isLadder() {
        return LADDER_VAE.equals(name);
    }

    /**
     * The iterations over which the KL term's weight rises linearly from 0 to 1 (KL warm-up,
     * Sønderby et al.).
     *
     * @return the warm-up length; 0 for the full ELBO from the start
     */
    public long getKlWarmup() {
        return klWarmup;
    }

    /**
     * The hidden units of the dense encoder a generator other than the ladder gets.
     *
     * @return the units per hidden layer
     */
    public int getEncoderUnits() {
        return encoderUnits;
    }

    /**
     * The weight of the KL term at an iteration.
     *
     * @return the KL warm-up as a schedule
     */
    public Schedule klWeight() {
        return klWarmup == 0 ? Schedule.constant(1) : Schedule.linear(0, 1, klWarmup);
    }

    /** {@inheritDoc} */
    @Override
    public void validate() {
        if (!VAE.equals(name) && !LADDER_VAE.equals(name)) {
            throw new IllegalArgumentException("a variational method is vae or lvae, not " + name);
        }
        if (klWarmup < 0) {
            throw new IllegalArgumentException(
                    "KL warm-up must be >= 0 iterations, got " + klWarmup);
        }
        if (encoderUnits <= 0) {
            throw new IllegalArgumentException(
                    "the encoder's units must be positive, got " + encoderUnits);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void checkCompatible(LatentGenerator generator) {
        if (isLadder()) {
            try {
                AmortisedPosterior.requireLadder(generator);
            } catch (IllegalArgumentException e) {
                throw new InputException(e.getMessage(), e);
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public List<String> getCheckpointFiles() {
        return List.of(ENCODER);
    }

    /** {@inheritDoc} */
    @Override
    public String describeOption(String option) {
        return switch (option) {
            case "klWarmup" -> "KL warm-up";
            case "encoderUnits" -> "encoder units";
            default -> option;
        };
    }

    /** {@inheritDoc} */
    @Override
    public MethodState newState(MethodContext context) {
        return new EncoderState(context, this);
    }

    /** The encoder and the posterior it forms. */
    private static final class EncoderState extends MethodState {

        private final Block encoder;
        private final AmortisedPosterior posterior;
        private final Schedule klWeight;

        EncoderState(MethodContext context, Variational method) {
            super(context);
            method.checkCompatible(generator);
            // drawn after the generator's, so that the generator starts where a short-run one
            // does
            if (generator instanceof LadderGenerator ladder) {
                LadderEncoder ladderEncoder = new LadderEncoder(ladder.getConfig());
                ladderEncoder.initialize(
                        manager, DataType.FLOAT32, context.initial(), context.batchSize());
                encoder = ladderEncoder;
            } else {
                DenseEncoder dense = new DenseEncoder(generator, method.encoderUnits);
                dense.initialize(manager, DataType.FLOAT32, context.initial(), context.batchSize());
                encoder = dense;
            }
            posterior =
                    method.isLadder()
                            ? AmortisedPosterior.ladder()
                            : AmortisedPosterior.independent();
            klWeight = method.klWeight();
        }

        @Override
        public Map<String, Block> getBlocks() {
            return Map.of(ENCODER, encoder);
        }

        @Override
        public Step computeGradients(Batch batch) {
            NDArray x = batch.x();
            NDManager scope = x.getManager();
            float sigma = batch.sigma();
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                AmortisedPosterior.Pass pass =
                        posterior.pass(generator, encoder, parameterStore, x, batch.stream(), true);
                NDArray sse = x.sub(pass.reconstruction()).square().sum();
                // the negative ELBO; the constants are arrays, not Java numbers (docs/DESIGN.md)
                NDArray likelihoodScale = scope.create(1f / (2f * sigma * sigma));
                NDArray klScale = scope.create((float) klWeight.valueAt(batch.iteration()));
                NDArray objective = sse.mul(likelihoodScale).add(pass.kl().sum().mul(klScale));
                collector.backward(objective);
                return new Step(objective.getFloat(), sse.getFloat());
            }
        }

        @Override
        public NDList inferLatents(NDArray x, float sigma, RandomStream stream) {
            return posterior.pass(generator, encoder, parameterStore, x, null, false).latents();
        }
    }

    /** Builds a {@link Variational}. */
    public static final class Builder {
        private boolean ladder;
        private long klWarmup = DEFAULT_KL_WARMUP;
        private int encoderUnits = DenseEncoder.DEFAULT_UNITS;

        Builder() {}

        /**
         * Merges the encoder's Gaussians with the ladder generator's priors: Ladder-VAE (default:
         * false, a VAE).
         *
         * @param ladder true for Ladder-VAE
         * @return this builder
         */
        public Builder optLadder(boolean ladder) {
            this.ladder = ladder;
            return this;
        }

        /**
         * Sets the iterations over which the KL weight rises from 0 to 1 (default {@value
         * Variational#DEFAULT_KL_WARMUP}; 0 for none).
         *
         * @param iterations the warm-up length
         * @return this builder
         */
        public Builder optKlWarmup(long iterations) {
            this.klWarmup = iterations;
            return this;
        }

        /**
         * Sets the hidden units of the dense encoder of a generator other than the ladder (default
         * {@value DenseEncoder#DEFAULT_UNITS}).
         *
         * @param units the units per hidden layer
         * @return this builder
         */
        public Builder optEncoderUnits(int units) {
            this.encoderUnits = units;
            return this;
        }

        /**
         * Builds the method.
         *
         * @return the method
         * @throws IllegalArgumentException naming the first option out of range
         */
        public Variational build() {
            return new Variational(this);
        }
    }
}
