package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import org.shortrun.RandomStream;

/**
 * PyTorch's default initialisation of a layer: uniform within 1/sqrt(fan-in), for weights and
 * biases alike. The fan-in is given, or taken when the array is made from a weight's shape as
 * PyTorch takes it ({@code size(1)} times the receptive field, so a transposed convolution's {@code
 * [in, out, k, k]} weight counts its output channels). Drawn from a {@link RandomStream} where the
 * block was initialised with one, otherwise from the engine's generator as DJL's own initialisers
 * are.
 */
final class FanInUniform implements Initializer {

    private final long fanIn;
    // when fanIn is 0: the weight whose shape gives the fan-in, this parameter's own or a bias's
    // sibling, and what a weight of rank < 2, which has no fan-in, is initialised with instead
    private final Parameter weight;
    private final Initializer fallback;
    private final RandomStream stream;

    FanInUniform(long fanIn) {
        this(fanIn, null, null, null);
    }

    private FanInUniform(long fanIn, Parameter weight, Initializer fallback, RandomStream stream) {
        this.fanIn = fanIn;
        this.weight = weight;
        this.fallback = fallback;
        this.stream = stream;
    }

    /**
     * PyTorch's default for a parameter of a user's block whose fan-in is known only once its
     * weight has a shape.
     *
     * @param weight the weight whose shape gives the fan-in
     * @param fallback what to initialise with if that weight has rank below 2
     * @return the initialiser
     */
    static FanInUniform ofWeight(Parameter weight, Initializer fallback) {
        return new FanInUniform(0, weight, fallback, null);
    }

    FanInUniform drawingFrom(RandomStream from) {
        Initializer other =
                fallback instanceof FanInUniform uniform ? uniform.drawingFrom(from) : fallback;
        return new FanInUniform(fanIn, weight, other, from);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        long n = fanIn;
        if (n == 0) {
            Shape w = weight.getShape();
            if (w == null || w.dimension() < 2) {
                return fallback.initialize(manager, shape, dataType);
            }
            n = w.size() / w.get(0);
        }
        float bound = (float) (1.0 / Math.sqrt(n));
        return stream == null
                ? manager.randomUniform(-bound, bound, shape, dataType)
                : stream.uniform(manager, bound, shape, dataType);
    }
}
