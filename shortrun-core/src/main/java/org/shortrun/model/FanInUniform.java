package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;
import org.shortrun.RandomStream;

/**
 * PyTorch's default initialisation of a layer: uniform within 1/sqrt(fan-in), for weights and
 * biases alike. Drawn from a {@link RandomStream} where the generator was initialised with one
 * ({@link LadderGenerator#initialize(NDManager, DataType, RandomStream, Shape...)}), otherwise from
 * the engine's generator as DJL's own initialisers are.
 */
final class FanInUniform implements Initializer {

    private final float bound;
    private final RandomStream stream;

    FanInUniform(long fanIn) {
        this((float) (1.0 / Math.sqrt(fanIn)), null);
    }

    private FanInUniform(float bound, RandomStream stream) {
        this.bound = bound;
        this.stream = stream;
    }

    FanInUniform drawingFrom(RandomStream from) {
        return new FanInUniform(bound, from);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        return stream == null
                ? manager.randomUniform(-bound, bound, shape, dataType)
                : stream.uniform(manager, bound, shape, dataType);
    }
}
