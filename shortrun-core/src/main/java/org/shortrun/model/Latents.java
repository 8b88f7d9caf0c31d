package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Between a generator's latents, one array per latent of its declared shape, and one flat row of d
 * values per example, as the posterior energy, the encoders of the Langevin autoencoders and the
 * step-size objective see them.
 */
public final class Latents {

    private Latents() {}

    /**
     * Returns the number of values of each latent of one example.
     *
     * @param shapes the latents' shapes, without the batch axis
     * @return one size per latent
     */
    public static int[] sizes(List<Shape> shapes) {
        int[] sizes = new int[shapes.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Math.toIntExact(shapes.get(i).size());
        }
        return sizes;
    }

    /**
     * Returns d, the number of latent values of one example.
     *
     * @param shapes the latents' shapes, without the batch axis
     * @return the sum of their sizes
     */
    public static int dimension(List<Shape> shapes) {
        int d = 0;
        for (int size : sizes(shapes)) {
            d += size;
        }
        return d;
    }

    /**
     * Flattens every latent to {@code [n, size]} and joins them into one row per example.
     *
     * @param latents the latents, top first, each {@code [n, ...]}
     * @return {@code [n, d]}; the latent itself when there is one of rank 2
     */
    public static NDArray concat(NDList latents) {
        if (latents.size() == 1) {
            return flat(latents.get(0));
        }
        NDList rows = new NDList(latents.size());
        for (NDArray latent : latents) {
            rows.add(flat(latent));
        }
        return NDArrays.concat(rows, 1);
    }

    /**
     * Splits rows of d values into latents of the given shapes.
     *
     * @param e {@code [n, d]}
     * @param shapes the latents' shapes, without the batch axis, top first
     * @return one {@code [n, ...]} array per latent
     */
    public static NDList split(NDArray e, List<Shape> shapes) {
        long n = e.getShape().get(0);
        NDList parts;
        if (shapes.size() == 1) {
            parts = new NDList(e);
        } else {
            int[] sizes = sizes(shapes);
            long[] cuts = new long[sizes.length - 1];
            long at = 0;
            for (int l = 0; l < cuts.length; l++) {
                at += sizes[l];
                cuts[l] = at;
            }
            parts = e.split(cuts, 1);
        }
        NDList latents = new NDList(parts.size());
        for (int l = 0; l < parts.size(); l++) {
            Shape shape = new Shape(n).addAll(shapes.get(l));
            NDArray part = parts.get(l);
            latents.add(part.getShape().equals(shape) ? part : part.reshape(shape));
        }
        return latents;
    }

    private static NDArray flat(NDArray latent) {
        Shape shape = latent.getShape();
        return shape.dimension() == 2 ? latent : latent.reshape(shape.get(0), -1);
    }
}
