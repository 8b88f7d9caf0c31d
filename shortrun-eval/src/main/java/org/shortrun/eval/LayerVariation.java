package org.shortrun.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.shortrun.RandomStream;
import org.shortrun.model.LadderGenerator;

/**
 * What each layer of latents controls (the paper's Fig. 5): images in which one layer's latents
 * vary while every other layer stays fixed.
 */
public final class LayerVariation {

    private LayerVariation() {}

    /**
     * Generates a grid for one layer: row r holds base latents r for every other layer, and
     * column c the same draw c of the varied layer in every row.
     *
     * @param generator the generator
     * @param parameterStore its parameter store
     * @param layer the layer to vary, 0 for the top
     * @param rows base draws
     * @param columns draws of the varied layer
     * @param manager where the draws and images go
     * @param stream where the draws come from
     * @return {@code [rows * columns, c, h, w]}, row-major
     */
    public static NDArray grid(LadderGenerator generator, ParameterStore parameterStore, int layer, int rows, int columns, NDManager manager, RandomStream stream) {
        Shape[] shapes = generator.inputShapes(1);
        if (layer < 0 || layer >= shapes.length) {
            throw new IllegalArgumentException("layer " + layer + " of " + shapes.length);
        }
        NDList latents = new NDList();
        for (int l = 0; l < shapes.length; l++) {
            long d = shapes[l].get(1);
            NDArray z;
            if (l == layer) {
                // one draw per column, repeated down the rows
                z = stream.normal(manager, new Shape(1, columns, d)).repeat(0, rows);
            } else {
                // one draw per row, repeated along the columns
                z = stream.normal(manager, new Shape(rows, 1, d)).repeat(1, columns);
            }
            latents.add(z.reshape(rows * columns, d));
        }
        return generator.forward(parameterStore, latents, false).singletonOrThrow();
    }
}
