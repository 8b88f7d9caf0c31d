package org.shortrun.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.Random;

/**
 * Compares the gradients a block computes in float32 with a float64 recomputation from the same
 * parameters and inputs. The loss is the summed squared error against a random target, the form of
 * both the learning loss and the Langevin energy.
 */
public final class GradientCheck {

    /** The relative error below which float32 and float64 gradients are taken to agree. */
    public static final double TOLERANCE = 1e-4;

    private static final NDIndex ALL = new NDIndex("...");

    private GradientCheck() {}

    /**
     * The agreement of one comparison: the worst relative error over the inputs' gradients and over
     * the parameters' gradients.
     *
     * @param inputError the worst relative error of an input's gradient
     * @param parameterError the worst relative error of a parameter's gradient
     * @param worstParameter the name of the parameter with that error, or null if there are none
     */
    public record Result(double inputError, double parameterError, String worstParameter) {

        /**
         * Returns the worse of the two errors.
         *
         * @return the worst relative error
         */
        public double worst() {
            return Math.max(inputError, parameterError);
        }

        /**
         * Whether every gradient agrees within {@link #TOLERANCE}.
         *
         * @return true if the float32 gradients can be trusted
         */
        public boolean agrees() {
            return worst() < TOLERANCE;
        }
    }

    /**
     * The largest absolute difference over the largest absolute reference value; infinite if {@code
     * actual} holds a NaN or an infinity.
     *
     * @param actual the values under test
     * @param reference the reference values, of the same length
     * @return the relative error
     */
    public static double relativeError(double[] actual, double[] reference) {
        if (actual.length != reference.length) {
            throw new IllegalArgumentException(
                    "lengths differ: " + actual.length + " and " + reference.length);
        }
        double difference = 0;
        double scale = 0;
        for (int i = 0; i < actual.length; i++) {
            if (!Double.isFinite(actual[i])) {
                return Double.POSITIVE_INFINITY;
            }
            difference = Math.max(difference, Math.abs(actual[i] - reference[i]));
            scale = Math.max(scale, Math.abs(reference[i]));
        }
        return difference == 0 ? 0 : difference / scale;
    }

    /**
     * Compares the gradients of two initialised blocks that hold the same parameters, one in
     * float32 and one in float64, with respect to their inputs and parameters. Inputs and target
     * are drawn from {@code seed} with {@link Random}, so the engine's generator is not touched.
     * The blocks' parameter gradients are cleared before and after.
     *
     * @param single the float32 block
     * @param reference the float64 block
     * @param inputShapes the shapes of the inputs, batch included
     * @param seed the seed of the inputs and the target
     * @param manager the manager the arrays are made under; nothing is left in it
     * @return the agreement
     */
    public static Result compare(
            Block single, Block reference, Shape[] inputShapes, long seed, NDManager manager) {
        Random random = new Random(seed);
        double[][] inputs = new double[inputShapes.length][];
        for (int i = 0; i < inputShapes.length; i++) {
            inputs[i] = gaussian(random, inputShapes[i].size());
        }
        Shape outputShape = single.getOutputShapes(inputShapes)[0];
        double[] target = gaussian(random, outputShape.size());
        Gradients a =
                gradients(
                        single,
                        DataType.FLOAT32,
                        inputs,
                        inputShapes,
                        target,
                        outputShape,
                        manager);
        Gradients b =
                gradients(
                        reference,
                        DataType.FLOAT64,
                        inputs,
                        inputShapes,
                        target,
                        outputShape,
                        manager);
        double inputError = 0;
        for (int i = 0; i < inputs.length; i++) {
            inputError = Math.max(inputError, relativeError(a.inputs[i], b.inputs[i]));
        }
        double parameterError = 0;
        String worst = null;
        for (int i = 0; i < a.parameters.length; i++) {
            double e = relativeError(a.parameters[i], b.parameters[i]);
            if (worst == null || e > parameterError) {
                parameterError = e;
                worst = a.names[i];
            }
        }
        return new Result(inputError, parameterError, worst);
    }

    private record Gradients(double[][] inputs, double[][] parameters, String[] names) {}

    private static Gradients gradients(
            Block block,
            DataType type,
            double[][] inputs,
            Shape[] shapes,
            double[] target,
            Shape outputShape,
            NDManager manager) {
        clearGradients(block);
        try (NDManager scope = manager.newSubManager()) {
            NDList x = new NDList();
            for (int i = 0; i < inputs.length; i++) {
                NDArray input = scope.create(toFloat(inputs[i]), shapes[i]).toType(type, false);
                input.setRequiresGradient(true);
                x.add(input);
            }
            NDArray t = scope.create(toFloat(target), outputShape).toType(type, false);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y =
                        block.forward(new ParameterStore(scope, false), x, true).singletonOrThrow();
                collector.backward(t.sub(y).square().sum());
            }
            double[][] inputGradients = new double[inputs.length][];
            for (int i = 0; i < inputs.length; i++) {
                inputGradients[i] =
                        x.get(i).getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            }
            var parameters = block.getParameters();
            double[][] parameterGradients = new double[parameters.size()][];
            String[] names = new String[parameters.size()];
            for (int i = 0; i < parameters.size(); i++) {
                names[i] = parameters.get(i).getKey();
                try (NDArray grad = parameters.get(i).getValue().getArray().getGradient()) {
                    parameterGradients[i] = grad.toType(DataType.FLOAT64, false).toDoubleArray();
                }
            }
            return new Gradients(inputGradients, parameterGradients, names);
        } finally {
            clearGradients(block);
        }
    }

    /** Zeroes every parameter gradient by overwriting it, which also clears a NaN. */
    private static void clearGradients(Block block) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray weight = p.getValue().getArray();
            if (weight.hasGradient()) {
                try (NDArray grad = weight.getGradient()) {
                    grad.set(ALL, 0);
                }
            }
        }
    }

    /** Both precisions start from the same float32 values. */
    private static float[] toFloat(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }

    private static double[] gaussian(Random random, long size) {
        double[] values = new double[Math.toIntExact(size)];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian();
        }
        return values;
    }
}
