package org.shortrun;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * A seeded stream of random numbers. The library draws everything random from such streams (initial
 * parameters, Langevin's starting latents and noise, prior samples), never from the engine's global
 * generator, so it neither reseeds nor advances what other DJL code in the same JVM draws from, and
 * the same seed gives the same numbers on any engine and device.
 *
 * <p>Draws are made in Java and copied to the engine. A Langevin step of a batch of 64 at d = 112
 * needs 7,168 normals, a small cost next to the step's forward and backward pass.
 */
public final class RandomStream {

    private final SplittableRandom random;

    private RandomStream(SplittableRandom random) {
        this.random = random;
    }

    /**
     * Returns the stream of this seed.
     *
     * @param seed the seed
     * @return a stream that always starts with the same numbers for the same seed
     */
    public static RandomStream seeded(long seed) {
        return new RandomStream(new SplittableRandom(seed));
    }

    /**
     * Returns the stream of an iteration of a seeded run: the same (seed, iteration) always gives
     * the same stream, so a resumed run repeats an uninterrupted one without saved generator state.
     *
     * @param seed the run's seed
     * @param iteration the iteration
     * @return the iteration's stream
     */
    public static RandomStream ofIteration(long seed, long iteration) {
        return new RandomStream(
                new SplittableRandom(seed * 0x9E3779B97F4A7C15L + iteration * 0xC2B2AE3D27D4EB4FL));
    }

    /**
     * Draws an array of independent standard normals.
     *
     * @param manager the manager of the new array
     * @param shape its shape
     * @return a float32 array
     */
    public NDArray normal(NDManager manager, Shape shape) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return ownedCopy(manager, values, shape, DataType.FLOAT32);
    }

    /**
     * Draws an array uniform on [-bound, bound).
     *
     * @param manager the manager of the new array
     * @param bound the half-width
     * @param shape its shape
     * @param dataType its data type
     * @return the array
     */
    public NDArray uniform(NDManager manager, float bound, Shape shape, DataType dataType) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return ownedCopy(manager, values, shape, dataType);
    }

    /**
     * An array that owns its memory. {@code manager.create(float[])} wraps a direct buffer that
     * only the Java array object keeps alive, and {@code toType} to the same type returns an alias
     * of it: an array kept past that object (a parameter, a latent inside an autograd graph) would
     * read freed memory once the buffer is collected.
     */
    private static NDArray ownedCopy(
            NDManager manager, float[] values, Shape shape, DataType dataType) {
        try (NDArray wrapped = manager.create(values, shape)) {
            return dataType == DataType.FLOAT32
                    ? wrapped.duplicate()
                    : wrapped.toType(dataType, false);
        }
    }

    /**
     * Draws one number uniform on [0, 1), as a Metropolis-Hastings acceptance test needs.
     *
     * @return the number
     */
    public double uniform() {
        return random.nextDouble();
    }

    /**
     * Returns a {@link java.util.Random} seeded from this stream, for Java code that takes one.
     *
     * @return a new generator
     */
    public java.util.Random nextRandom() {
        return new java.util.Random(random.nextLong());
    }
}
