package org.shortrun.stepsize;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Latents;
import org.shortrun.model.Parameterisation;

/**
 * The energy of a ladder generator for one image, on a float64 copy of the generator so that
 * Hessians taken by central differences of gradients keep their accuracy (see docs/STEPSIZE.md). A
 * float32 copy is available for {@link LogDeterminant#FAST}, whose differences tolerate its
 * round-off; its convolutions go through the same {@code PaddedConv2d} layers as training, so they
 * avoid the engine's wrong float32 input gradients (docs/DESIGN.md).
 */
public final class GeneratorEnergy implements LatentEnergy, AutoCloseable {

    private final NDManager manager;
    private final LatentGenerator generator;
    private final List<Shape> shapes;
    private final ParameterStore store;
    private final int[] dims;
    private final int dimension;
    private final double sigma;
    private final DataType dataType;
    private NDArray x;
    private long pixels;

    /**
     * Makes a float64 copy of a generator.
     *
     * @param source the generator (any data type); it is not changed
     * @param sigma the observation noise
     * @param parent the manager the copy lives under until {@link #close}
     */
    public GeneratorEnergy(LatentGenerator source, double sigma, NDManager parent) {
        this(source, sigma, DataType.FLOAT64, parent);
    }

    /**
     * Makes a copy of a generator in a given precision. Points, energies and gradients stay {@code
     * double[]} either way; only the generator's arithmetic changes.
     *
     * @param source the generator (any data type); it is not changed
     * @param sigma the observation noise
     * @param dataType {@link DataType#FLOAT64} or {@link DataType#FLOAT32}
     * @param parent the manager the copy lives under until {@link #close}
     */
    public GeneratorEnergy(
            LatentGenerator source, double sigma, DataType dataType, NDManager parent) {
        if (dataType != DataType.FLOAT64 && dataType != DataType.FLOAT32) {
            throw new IllegalArgumentException(
                    "the energy is evaluated in float64 or float32, not " + dataType);
        }
        this.manager = parent.newSubManager();
        this.sigma = sigma;
        this.dataType = dataType;
        this.generator = source.copyAs(dataType, manager);
        generator.freezeParameters(true);
        this.store = new ParameterStore(manager, false);
        this.shapes = source.getLatentShapes();
        this.dims = Latents.sizes(shapes);
        this.dimension = Latents.dimension(shapes);
    }

    /**
     * Sets the image whose energy is evaluated.
     *
     * @param image {@code [c, h, w]} or {@code [1, c, h, w]} in [-1, 1]
     */
    public void setImage(NDArray image) {
        if (x != null) {
            x.close();
        }
        NDArray copy = image.toType(dataType, true);
        x = copy.getShape().dimension() == 3 ? copy.expandDims(0) : copy;
        x.attach(manager);
        if (copy != x) {
            copy.close();
        }
        pixels = x.size();
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public double logNormalizer() {
        return 0.5 * dimension * Math.log(2 * Math.PI)
                + 0.5 * pixels * Math.log(2 * Math.PI * sigma * sigma);
    }

    @Override
    public void evaluate(double[] points, int m, double[] energies, double[] gradients) {
        if (x == null) {
            throw new IllegalStateException("setImage first");
        }
        double inverseTwoVariance = 1 / (2 * sigma * sigma);
        try (NDManager scope = manager.newSubManager()) {
            // x - g(e) would land in x's long-lived manager and keep the whole graph alive:
            // lend x to this evaluation's scope
            x.tempAttach(scope);
            NDList latents = new NDList();
            int offset = 0;
            double[][] columns = new double[dims.length][];
            for (int l = 0; l < dims.length; l++) {
                columns[l] = new double[m * dims[l]];
                for (int i = 0; i < m; i++) {
                    System.arraycopy(
                            points, i * dimension + offset, columns[l], i * dims[l], dims[l]);
                }
                NDArray e =
                        scope.create(columns[l], new Shape(m).addAll(shapes.get(l)))
                                .toType(dataType, false);
                e.setRequiresGradient(true);
                latents.add(e);
                offset += dims[l];
            }
            double[] squaredErrors;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray residual =
                        x.sub(generator.forward(store, latents, true).singletonOrThrow());
                NDArray perPoint = residual.square().sum(new int[] {1, 2, 3});
                // backward on the plain sum; 1/(2 sigma^2) is applied below, outside the graph
                collector.backward(perPoint.sum());
                squaredErrors = perPoint.toType(DataType.FLOAT64, false).toDoubleArray();
            }
            offset = 0;
            for (int l = 0; l < dims.length; l++) {
                double[] g =
                        latents.get(l)
                                .getGradient()
                                .toType(DataType.FLOAT64, false)
                                .toDoubleArray();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < dims[l]; j++) {
                        double e = columns[l][i * dims[l] + j];
                        gradients[i * dimension + offset + j] =
                                g[i * dims[l] + j] * inverseTwoVariance + e;
                    }
                }
                offset += dims[l];
            }
            for (int i = 0; i < m; i++) {
                double prior = 0;
                for (int j = 0; j < dimension; j++) {
                    double e = points[i * dimension + j];
                    prior += e * e;
                }
                energies[i] = squaredErrors[i] * inverseTwoVariance + prior / 2;
            }
        }
    }

    /**
     * Forward differences that use the ladder's structure. A point that differs from e only in
     * layer l's latent shares with e everything the generator computes above layer l, and symmetry
     * gives the rows of the layers above from their own columns. So the columns of layer l need
     * only the gradients of layers l and below, from one pass per layer in which the layers above
     * enter as e's single row (broadcast over the batch) and are neither recomputed nor
     * differentiated per point. Each pass holds e itself as its first point, so that every
     * difference is taken within one batch.
     *
     * <p>The ladder parameterisation concatenates a layer's mean with its latent, which does not
     * broadcast; there the layers above are repeated per point, and only the symmetry saves work. A
     * generator other than the ladder, whose structure is unknown, takes the plain differences of
     * {@link LatentEnergy}.
     */
    @Override
    public void forwardDifferenceHessian(
            double[] e, double spacing, double[] gradient, DMatrixRMaj hessian) {
        if (x == null) {
            throw new IllegalStateException("setImage first");
        }
        if (!(generator instanceof LadderGenerator ladder)) {
            LatentEnergy.super.forwardDifferenceHessian(e, spacing, gradient, hessian);
            return;
        }
        boolean broadcast = ladder.getConfig().getParameterisation() != Parameterisation.LADDER;
        double inverseTwoVariance = 1 / (2 * sigma * sigma);
        int top = 0;
        for (int layer = 0; layer < dims.length; layer++) {
            int m = dims[layer] + 1;
            int below = dimension - top;
            double[] g = new double[m * below];
            try (NDManager scope = manager.newSubManager()) {
                x.tempAttach(scope);
                NDList latents = new NDList();
                int offset = 0;
                for (int l = 0; l < dims.length; l++) {
                    int rows = l < layer && broadcast ? 1 : m;
                    double[] values = new double[rows * dims[l]];
                    for (int p = 0; p < rows; p++) {
                        System.arraycopy(e, offset, values, p * dims[l], dims[l]);
                    }
                    if (l == layer) {
                        for (int j = 0; j < dims[l]; j++) {
                            values[(1 + j) * dims[l] + j] += spacing;
                        }
                    }
                    NDArray latent =
                            scope.create(values, new Shape(rows, dims[l])).toType(dataType, false);
                    latent.setRequiresGradient(l >= layer);
                    latents.add(latent);
                    offset += dims[l];
                }
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray residual =
                            x.sub(generator.forward(store, latents, true).singletonOrThrow());
                    collector.backward(residual.square().sum());
                }
                int column = 0;
                for (int l = layer; l < dims.length; l++) {
                    double[] part =
                            latents.get(l)
                                    .getGradient()
                                    .toType(DataType.FLOAT64, false)
                                    .toDoubleArray();
                    for (int p = 0; p < m; p++) {
                        System.arraycopy(part, p * dims[l], g, p * below + column, dims[l]);
                    }
                    column += dims[l];
                }
            }
            // the prior's gradient e is the same at every point but the perturbed coordinate's,
            // where it differs by exactly the spacing: add it in float64, outside the differences
            for (int j = 0; j < dims[layer]; j++) {
                for (int r = 0; r < below; r++) {
                    double difference =
                            (g[(1 + j) * below + r] - g[r]) * inverseTwoVariance / spacing;
                    hessian.unsafe_set(top + r, top + j, difference + (r == j ? 1 : 0));
                }
                // the rows of the layers above: symmetry, from their columns already filled
                for (int r = 0; r < top; r++) {
                    hessian.unsafe_set(r, top + j, hessian.unsafe_get(top + j, r));
                }
            }
            if (layer == 0) {
                for (int r = 0; r < dimension; r++) {
                    gradient[r] = g[r] * inverseTwoVariance + e[r];
                }
            }
            top += dims[layer];
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
