package org.shortrun.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.List;
import org.shortrun.RandomStream;
import org.shortrun.inference.ProjectedGradient;

/**
 * Generative latent optimisation (Bojanowski et al. 2018): one code per training example, learned
 * with the generator by gradient steps on the squared error and projected back to the unit sphere
 * (each latent's code separately), kept in the checkpoint's {@value #LATENTS}. Samples come from a
 * full-covariance Gaussian fitted to the codes ({@link CodeGaussian}); a held-out image's code
 * starts from a draw of it and takes K projected gradient steps.
 */
public final class Glo implements LearningMethod {

    /** The name it is registered under. */
    public static final String NAME = "glo";

    /** The checkpoint file the codes are kept in. */
    public static final String LATENTS = "latents.bin";

    /** The step size of the code updates unless set. */
    public static final float DEFAULT_CODE_LEARNING_RATE = 0.01f;

    private final String name;
    private final int steps;
    private final float codeLearningRate;

    private Glo(Builder b) {
        name = NAME;
        steps = b.steps;
        codeLearningRate = b.codeLearningRate;
        validate();
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
     * Returns a builder preset to these options.
     *
     * @return a builder holding these values
     */
    public Builder toBuilder() {
        return new Builder().optSteps(steps).optCodeLearningRate(codeLearningRate);
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
     * Returns K, the projected gradient steps of a held-out image's code.
     *
     * @return K
     */
    public int getSteps() {
        return steps;
    }

    /**
     * Returns the step size of a code's gradient steps on its summed squared error.
     *
     * @return the code learning rate
     */
    public float getCodeLearningRate() {
        return codeLearningRate;
    }

    /** {@inheritDoc} */
    @Override
    public void validate() {
        if (steps <= 0 || steps > LangevinLearning.MAX_STEPS) {
            throw new IllegalArgumentException(
                    "GLO's code steps must be in [1, "
                            + LangevinLearning.MAX_STEPS
                            + "], got "
                            + steps);
        }
        if (!(codeLearningRate > 0) || Float.isInfinite(codeLearningRate)) {
            throw new IllegalArgumentException(
                    "code learning rate must be positive, got " + codeLearningRate);
        }
    }

    /** {@inheritDoc} */
    @Override
    public List<String> getCheckpointFiles() {
        return List.of(LATENTS);
    }

    /** {@inheritDoc} */
    @Override
    public String describeOption(String option) {
        return switch (option) {
            case "steps" -> "code steps";
            case "codeLearningRate" -> "code learning rate";
            default -> option;
        };
    }

    /** {@inheritDoc} */
    @Override
    public MethodState newState(MethodContext context) {
        return new CodeState(context, this);
    }

    /** The codes a state of this method keeps, for tests; null before prepareFor. */
    static PersistentLatents codesOf(MethodState state) {
        return ((CodeState) state).codes;
    }

    /** The codes, and the Gaussian fitted to them as they are now. */
    private static final class CodeState extends MethodState {

        private final ProjectedGradient codeUpdate;
        private final long seed;
        private PersistentLatents codes;
        private CodeGaussian codeGaussian;

        CodeState(MethodContext context, Glo method) {
            super(context);
            codeUpdate = new ProjectedGradient(method.steps, method.codeLearningRate);
            seed = context.seed();
        }

        @Override
        public void prepareFor(int imageCount) {
            codes = PersistentLatents.prepare(codes, imageCount, generator, seed, true);
        }

        @Override
        public Step computeGradients(Batch batch) {
            int[] indices = batch.indices();
            if (codes == null || indices == null) {
                throw new IllegalStateException(
                        NAME + " needs prepareFor(count) and the batch's indices");
            }
            NDArray x = batch.x();
            NDManager scope = x.getManager();
            NDList latents = codes.gather(scope, indices);
            for (NDArray code : latents) {
                code.setRequiresGradient(true);
            }
            float sse;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray reconstruction =
                        generator.forward(parameterStore, latents, true).singletonOrThrow();
                NDArray squaredError = x.sub(reconstruction).square().sum();
                collector.backward(squaredError);
                sse = squaredError.getFloat();
            }
            NDList stepped = codeUpdate.step(latents, scope);
            return new Step(
                    sse,
                    sse,
                    () -> {
                        codes.scatter(indices, stepped);
                        codeGaussian = null;
                    });
        }

        @Override
        public NDList inferLatents(NDArray x, float sigma, RandomStream stream) {
            return codeUpdate.infer(
                    generator,
                    parameterStore,
                    x,
                    codeGaussian().sample(x.getManager(), (int) x.getShape().get(0), stream));
        }

        @Override
        public NDList drawLatents(NDManager target, int count, RandomStream stream) {
            return codeGaussian().sample(target, count, stream);
        }

        private CodeGaussian codeGaussian() {
            if (codes == null) {
                throw new IllegalStateException(
                        "GLO keeps no codes before prepareFor(count) or a checkpoint's");
            }
            if (codeGaussian == null) {
                codeGaussian = CodeGaussian.fit(codes);
            }
            return codeGaussian;
        }

        @Override
        public String describeNonFinite() {
            return codes != null && !codes.isFinite() ? "the codes hold a non-finite value" : null;
        }

        @Override
        public void save(StateFiles files) throws IOException {
            if (codes == null) {
                throw new IllegalStateException(
                        NAME + " keeps no codes before prepareFor(count); nothing to save");
            }
            files.write(LATENTS, codes::write);
        }

        @Override
        public void load(StateFiles files, boolean learning) throws IOException {
            try (DataInputStream in = files.read(LATENTS)) {
                codes =
                        PersistentLatents.read(
                                in, generator.getLatentShapes(), files.size(LATENTS));
            }
            codeGaussian = null;
        }
    }

    /** Builds a {@link Glo}. */
    public static final class Builder {
        private int steps = 100;
        private float codeLearningRate = DEFAULT_CODE_LEARNING_RATE;

        Builder() {}

        /**
         * Sets K, the projected gradient steps of a held-out image's code (default 100).
         *
         * @param steps K
         * @return this builder
         */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets the step size of the codes' gradient steps (default {@value
         * Glo#DEFAULT_CODE_LEARNING_RATE}).
         *
         * @param rate the code learning rate
         * @return this builder
         */
        public Builder optCodeLearningRate(float rate) {
            this.codeLearningRate = rate;
            return this;
        }

        /**
         * Builds the method.
         *
         * @return the method
         * @throws IllegalArgumentException naming the first option out of range
         */
        public Glo build() {
            return new Glo(this);
        }
    }
}
