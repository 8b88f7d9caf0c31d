package org.shortrun.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.List;
import org.shortrun.RandomStream;

/**
 * A generator of images from latents: a DJL {@link Block} whose inputs are whitened latents, top
 * first, each of a declared shape and with a standard-normal prior, and whose output is an image
 * batch {@code [n, c, h, w]} in [-1, 1]. Inference, prior sampling, the step-size objective, every
 * learning method and the evaluation work against this type. {@link LadderGenerator} is the paper's
 * generator; {@link BlockGenerator} makes one of any Block in a single call.
 */
public interface LatentGenerator extends Block {

    /**
     * Returns the shape of one example's latents, top first, without the batch axis.
     *
     * @return one shape per latent
     */
    List<Shape> getLatentShapes();

    /**
     * Returns the shape of one generated image.
     *
     * @return {@code [c, h, w]}
     */
    Shape getImageShape();

    /**
     * Makes a new, uninitialised generator of the same architecture: what a float64 copy and a
     * loaded checkpoint are built on.
     *
     * @return a generator whose parameters have yet to be initialised or loaded
     */
    LatentGenerator newInstance();

    /**
     * Returns the shapes of the latents of a batch, top first.
     *
     * @param n the batch size
     * @return one {@code [n, ...]} shape per latent
     */
    default Shape[] latentShapes(long n) {
        List<Shape> shapes = getLatentShapes();
        Shape[] batch = new Shape[shapes.size()];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = new Shape(n).addAll(shapes.get(i));
        }
        return batch;
    }

    /**
     * Returns d, the number of latent values of one example over all latents.
     *
     * @return the total latent dimension
     */
    default int getLatentDimension() {
        return Latents.dimension(getLatentShapes());
    }

    /**
     * Initialises the parameters, drawing every random initial value from {@code stream} rather
     * than from the engine's generator, so that the same seed gives the same parameters without
     * touching any other code's random numbers.
     *
     * @param manager the manager that owns the parameters
     * @param dataType the parameters' data type
     * @param stream where the draws come from
     * @param batch the batch size the shapes are prepared for
     */
    default void initialize(NDManager manager, DataType dataType, RandomStream stream, long batch) {
        Layers.drawInitialValuesFrom(this, stream);
        initialize(manager, dataType, latentShapes(batch));
    }

    /**
     * Makes an initialised copy whose parameters hold this generator's values in another data type,
     * for example float64 to check float32 arithmetic against.
     *
     * @param dataType the copy's data type
     * @param manager the manager that owns the copy's parameters
     * @return the copy
     */
    default LatentGenerator copyAs(DataType dataType, NDManager manager) {
        LatentGenerator copy = newInstance();
        copy.initialize(manager, dataType, copy.latentShapes(1));
        Layers.copyValues(this, copy, dataType);
        return copy;
    }

    /**
     * Counts the scalar parameters.
     *
     * @return the number of parameters
     */
    default long countParameters() {
        long count = 0;
        for (Parameter p : getParameters().values()) {
            count += p.getArray().size();
        }
        return count;
    }
}
