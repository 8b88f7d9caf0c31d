package org.shortrun.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shortrun.DivergenceException;
import org.shortrun.RandomStream;
import org.shortrun.inference.AmortisedLangevin;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.inference.PriorLangevin;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LangevinEncoder;
import org.shortrun.model.Latents;

/**
 * The Langevin autoencoders (Taniguchi et al. 2022): an encoder {@code e = W h(x)} ({@link
 * LangevinEncoder}) whose final linear map W is sampled by amortised Langevin dynamics ({@link
 * AmortisedLangevin}) while the trunk h and the generator learn from the energy of the samples;
 * inference of a held-out image is one encoder pass. Each batch takes one burn-in update of W and
 * then K whose energies the learning uses; eta is the step size of W's update. The contrastive form
 * ({@code clae}) adds an energy-based latent prior, {@code p(e) ~ exp(-E(e)) N(e; 0, I)} ({@link
 * EnergyPrior}), learned contrastively against short-run Langevin samples of the prior started from
 * noise. The authors' K = 2, and eta = 1e-5, chosen on MNIST (docs/LANGEVIN-AUTOENCODERS.md).
 */
public final class LangevinAutoencoders implements LearningMethod {

    /** The name of the plain Langevin autoencoder. */
    public static final String LAE = "lae";

    /** The name of the contrastive one, with an energy-based prior. */
    public static final String CLAE = "clae";

    /** The checkpoint file the encoder, W included, is kept in. */
    public static final String ENCODER = "encoder.bin";

    /** The checkpoint file the energy-based prior is kept in. */
    public static final String PRIOR = "prior.bin";

    /** The prior's learning rate as a multiple of the run's, unless set. */
    public static final float DEFAULT_PRIOR_LEARNING_RATE_SCALE = 0.2f;

    private static final NDIndex ALL = new NDIndex("...");

    private final String name;
    private final int steps;
    private final float eta;
    private final boolean metropolis;
    private final int priorSteps;
    private final float priorStepSize;
    private final float priorLearningRateScale;

    private LangevinAutoencoders(Builder b) {
        name = b.prior ? CLAE : LAE;
        steps = b.steps;
        eta = b.eta;
        metropolis = b.metropolis;
        priorSteps = b.priorSteps;
        priorStepSize = b.priorStepSize;
        priorLearningRateScale = b.priorLearningRateScale;
        validate();
    }

    /**
     * Returns a builder of the authors' settings for the plain form.
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
                .optPrior(hasPrior())
                .optSteps(steps)
                .optEta(eta)
                .optMetropolis(metropolis)
                .optPriorSteps(priorSteps)
                .optPriorStepSize(priorStepSize)
                .optPriorLearningRateScale(priorLearningRateScale);
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /**
     * Whether the latent prior is energy-based and learned (the contrastive form).
     *
     * @return true for {@code clae}
     */
    public boolean hasPrior() {
        return CLAE.equals(name);
    }

    /**
     * Returns K, the updates of W per batch whose energies the learning uses, after one burn-in.
     *
     * @return K
     */
    public int getSteps() {
        return steps;
    }

    /**
     * Returns eta, the step size of W's Langevin update.
     *
     * @return eta
     */
    public float getEta() {
        return eta;
    }

    /**
     * Whether each proposal of W is corrected by Metropolis-Hastings.
     *
     * @return true for the correction (the authors' code's)
     */
    public boolean isMetropolis() {
        return metropolis;
    }

    /**
     * Returns the steps of short-run Langevin sampling from the prior.
     *
     * @return K of the prior's sampler
     */
    public int getPriorSteps() {
        return priorSteps;
    }

    /**
     * Returns the step size s of short-run Langevin sampling from the prior.
     *
     * @return s of the prior's sampler
     */
    public float getPriorStepSize() {
        return priorStepSize;
    }

    /**
     * Returns the prior's learning rate as a multiple of the run's (Pang et al. 2020 learn their
     * prior at a fifth of their generator's rate).
     *
     * @return the multiple
     */
    public float getPriorLearningRateScale() {
        return priorLearningRateScale;
    }

    /** {@inheritDoc} */
    @Override
    public void validate() {
        if (!LAE.equals(name) && !CLAE.equals(name)) {
            throw new IllegalArgumentException(
                    "a Langevin autoencoder is lae or clae, not " + name);
        }
        if (steps <= 0 || steps > LangevinLearning.MAX_STEPS) {
            throw new IllegalArgumentException(
                    "steps K must be in [1, " + LangevinLearning.MAX_STEPS + "], got " + steps);
        }
        positive("eta", eta);
        if (priorSteps <= 0 || priorSteps > LangevinLearning.MAX_STEPS) {
            throw new IllegalArgumentException(
                    "the prior's Langevin steps must be in [1, "
                            + LangevinLearning.MAX_STEPS
                            + "], got "
                            + priorSteps);
        }
        positive("prior's Langevin step size", priorStepSize);
        positive("prior's learning-rate scale", priorLearningRateScale);
    }

    private static void positive(String what, float value) {
        if (!(value > 0) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }

    /** {@inheritDoc} */
    @Override
    public List<String> getCheckpointFiles() {
        return hasPrior() ? List.of(ENCODER, PRIOR) : List.of(ENCODER);
    }

    /** {@inheritDoc} */
    @Override
    public String describeOption(String option) {
        return switch (option) {
            case "steps" -> "Langevin steps";
            case "eta" -> "eta";
            case "metropolis" -> "Metropolis-Hastings correction";
            case "priorSteps" -> "prior's Langevin steps";
            case "priorStepSize" -> "prior's Langevin step size";
            case "priorLearningRateScale" -> "prior's learning-rate scale";
            default -> option;
        };
    }

    /** {@inheritDoc} */
    @Override
    public MethodState newState(MethodContext context) {
        return new AutoencoderState(context, this);
    }

    /** The encoder with its sampled W, and for the contrastive form the prior and its sampler. */
    static final class AutoencoderState extends MethodState {

        private final LangevinAutoencoders method;
        private final LangevinEncoder encoder;
        private final AmortisedLangevin amortisedLangevin;
        private final EnergyPrior prior;
        private final PriorLangevin priorLangevin;
        private float lastAcceptance = Float.NaN;
        // what learns from the mean of the K energies' gradients; listed at the first iteration
        private List<Parameter> learned;

        AutoencoderState(MethodContext context, LangevinAutoencoders method) {
            super(context);
            this.method = method;
            encoder = LangevinEncoder.of(generator);
            encoder.initialize(manager, DataType.FLOAT32, context.initial(), context.batchSize());
            amortisedLangevin =
                    AmortisedLangevin.builder()
                            .setStepSize(method.eta)
                            .optSteps(method.steps)
                            .optMetropolis(method.metropolis)
                            .build();
            if (method.hasPrior()) {
                prior = new EnergyPrior(encoder.latentDimension());
                prior.initialize(manager, DataType.FLOAT32, context.initial(), context.batchSize());
                priorLangevin = new PriorLangevin(method.priorSteps, method.priorStepSize);
            } else {
                prior = null;
                priorLangevin = null;
            }
        }

        LangevinEncoder getEncoder() {
            return encoder;
        }

        EnergyPrior getPrior() {
            return prior;
        }

        AmortisedLangevin getAmortisedLangevin() {
            return amortisedLangevin;
        }

        @Override
        public Map<String, Block> getBlocks() {
            Map<String, Block> blocks = new LinkedHashMap<>();
            blocks.put(ENCODER, encoder);
            if (prior != null) {
                blocks.put(PRIOR, prior);
            }
            return blocks;
        }

        @Override
        public ParameterList getTrainableParameters() {
            ParameterList list = new ParameterList();
            for (Pair<String, Parameter> pair : super.getTrainableParameters()) {
                // W is sampled, not optimised
                if (pair.getValue() != encoder.getProjection()) {
                    list.add(pair.getKey(), pair.getValue());
                }
            }
            return list;
        }

        @Override
        public float learningRateScale(String parameter) {
            return parameter.startsWith("prior.") ? method.priorLearningRateScale : 1f;
        }

        @Override
        public float getStepSize() {
            return method.eta;
        }

        /**
         * The share of W's proposals the Metropolis-Hastings correction accepted in the last
         * iteration.
         *
         * @return the rate; NaN without the correction or before any iteration
         */
        float getLastAcceptance() {
            return lastAcceptance;
        }

        @Override
        public Step computeGradients(Batch batch) {
            NDArray x = batch.x();
            long n = x.getShape().get(0);
            Gradients gradients = autoencoderGradients(x, batch.sigma(), batch.stream());
            AmortisedLangevin.Result result = gradients.result();
            float meanEnergy = 0;
            for (float e : result.energies()) {
                meanEnergy += e;
            }
            float loss = meanEnergy / result.energies().length * n;
            return new Step(
                    loss,
                    gradients.squaredError(),
                    () -> {
                        if (!isFinite(result.w())) {
                            throw new DivergenceException(
                                    "the encoder's final linear map W is not finite after the"
                                            + " Langevin updates of iteration "
                                            + (batch.iteration() + 1));
                        }
                        encoder.getProjection().getArray().set(ALL, result.w());
                        lastAcceptance =
                                result.proposals() == 0
                                        ? Float.NaN
                                        : (float) result.accepted() / result.proposals();
                    });
        }

        /**
         * Where amortised Langevin took W, and the summed squared error at its last learning
         * update.
         */
        record Gradients(AmortisedLangevin.Result result, float squaredError) {}

        /**
         * The first half of an iteration: the dynamics of W, leaving in every trainable parameter's
         * gradient what the optimiser is to step on (the mean over the K learning updates of the
         * batch's summed energy, and for the contrastive form the contrastive loss). W is not
         * changed.
         */
        Gradients autoencoderGradients(NDArray x, float sigma, RandomStream stream) {
            long n = x.getShape().get(0);
            float[] squaredError = {Float.NaN};
            NDList positives = new NDList();
            // the trunk does not change during the dynamics: the passes that learn nothing
            // (burn-in, proposals) share one forward pass of it, without a graph
            NDArray[] fixedFeatures = {null};
            AmortisedLangevin.Energy energy =
                    (w, learn) -> {
                        if (!learn) {
                            freezeLearnedBlocks(true);
                        }
                        try {
                            NDArray h;
                            if (learn) {
                                h = encoder.features(parameterStore, x, true);
                            } else {
                                if (fixedFeatures[0] == null) {
                                    fixedFeatures[0] = encoder.features(parameterStore, x, false);
                                }
                                h = fixedFeatures[0];
                            }
                            NDArray e = LangevinEncoder.project(h, w);
                            PosteriorEnergy u =
                                    PosteriorEnergy.of(
                                            generator,
                                            parameterStore,
                                            x,
                                            Latents.split(e, generator.getLatentShapes()),
                                            sigma,
                                            prior,
                                            learn);
                            NDArray sum = u.total().sum();
                            if (learn) {
                                squaredError[0] = u.squaredError().sum().getFloat();
                                if (prior != null) {
                                    positives.add(e.stopGradient());
                                }
                            }
                            return sum;
                        } finally {
                            if (!learn) {
                                freezeLearnedBlocks(false);
                            }
                        }
                    };
            AmortisedLangevin.Result result;
            if (prior != null) {
                // the prior learns from the contrastive loss below, not from the samples' energy
                prior.freezeParameters(true);
            }
            try {
                result =
                        amortisedLangevin.run(
                                energy,
                                encoder.getProjection().getArray(),
                                n,
                                x.getManager(),
                                stream);
            } finally {
                if (prior != null) {
                    prior.freezeParameters(false);
                }
            }
            if (result.energies().length > 1) {
                // the gradients of the K energies were summed; the parameters learn from their
                // mean
                float share = 1f / result.energies().length;
                if (learned == null) {
                    learned = new ArrayList<>(generator.getParameters().values());
                    learned.addAll(getTrainableParameters().values());
                }
                for (Parameter p : learned) {
                    try (NDArray grad = p.getArray().getGradient()) {
                        grad.muli(share);
                    }
                }
            }
            if (prior != null) {
                NDArray negatives =
                        priorLangevin.sample(
                                prior, parameterStore, x.getManager(), (int) n, stream);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.backward(
                            prior.contrastiveLoss(
                                    parameterStore, NDArrays.concat(positives, 0), negatives));
                }
            }
            return new Gradients(result, squaredError[0]);
        }

        private void freezeLearnedBlocks(boolean freeze) {
            generator.freezeParameters(freeze);
            encoder.freezeParameters(freeze);
        }

        @Override
        public NDList inferLatents(NDArray x, float sigma, RandomStream stream) {
            return Latents.split(
                    encoder.forward(parameterStore, new NDList(x), false).singletonOrThrow(),
                    generator.getLatentShapes());
        }

        @Override
        public NDList drawLatents(NDManager target, int count, RandomStream stream) {
            if (prior == null) {
                return super.drawLatents(target, count, stream);
            }
            return Latents.split(
                    priorLangevin.sample(prior, parameterStore, target, count, stream),
                    generator.getLatentShapes());
        }

        @Override
        public NDArray priorEnergy(NDArray e) {
            return prior == null ? null : prior.energy(parameterStore, e, false);
        }

        @Override
        public String describeNonFinite() {
            return isFinite(encoder.getProjection().getArray())
                    ? null
                    : "the encoder's final linear map W holds a non-finite value";
        }

        private static boolean isFinite(NDArray array) {
            // a copy in a scope, so that what is computed from it is freed with the scope
            try (NDManager scope = array.getManager().newSubManager()) {
                NDArray copy = array.duplicate();
                copy.attach(scope);
                return !copy.isInfinite().logicalOr(copy.isNaN()).any().getBoolean();
            }
        }
    }

    /** Builds a {@link LangevinAutoencoders}. */
    public static final class Builder {
        private boolean prior;
        private int steps = 2;
        private float eta = 1e-5f;
        private boolean metropolis = true;
        private int priorSteps = PriorLangevin.DEFAULT_STEPS;
        private float priorStepSize = PriorLangevin.DEFAULT_STEP_SIZE;
        private float priorLearningRateScale = DEFAULT_PRIOR_LEARNING_RATE_SCALE;

        Builder() {}

        /**
         * Adds the energy-based latent prior: the contrastive form (default: false, plain).
         *
         * @param prior true for {@code clae}
         * @return this builder
         */
        public Builder optPrior(boolean prior) {
            this.prior = prior;
            return this;
        }

        /**
         * Sets K, the updates of W per batch whose energies the learning uses (default 2).
         *
         * @param steps K
         * @return this builder
         */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets eta, the step size of W's Langevin update (default 1e-5).
         *
         * @param eta eta
         * @return this builder
         */
        public Builder optEta(float eta) {
            this.eta = eta;
            return this;
        }

        /**
         * Whether each proposal of W is corrected by Metropolis-Hastings (default true, as the
         * authors' code does).
         *
         * @param metropolis true for the correction
         * @return this builder
         */
        public Builder optMetropolis(boolean metropolis) {
            this.metropolis = metropolis;
            return this;
        }

        /**
         * Sets the steps of short-run Langevin sampling from the prior (default 60, Pang et al.'s).
         *
         * @param steps K of the prior's sampler
         * @return this builder
         */
        public Builder optPriorSteps(int steps) {
            this.priorSteps = steps;
            return this;
        }

        /**
         * Sets the step size of short-run Langevin sampling from the prior (default 0.4, Pang et
         * al.'s).
         *
         * @param stepSize s of the prior's sampler
         * @return this builder
         */
        public Builder optPriorStepSize(float stepSize) {
            this.priorStepSize = stepSize;
            return this;
        }

        /**
         * Sets the prior's learning rate as a multiple of the run's (default {@value
         * LangevinAutoencoders#DEFAULT_PRIOR_LEARNING_RATE_SCALE}).
         *
         * @param scale the multiple
         * @return this builder
         */
        public Builder optPriorLearningRateScale(float scale) {
            this.priorLearningRateScale = scale;
            return this;
        }

        /**
         * Builds the method.
         *
         * @return the method
         * @throws IllegalArgumentException naming the first option out of range
         */
        public LangevinAutoencoders build() {
            return new LangevinAutoencoders(this);
        }
    }
}
