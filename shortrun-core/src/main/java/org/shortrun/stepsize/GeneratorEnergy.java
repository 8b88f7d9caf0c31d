package org.shortrun.stepsize;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;

import org.shortrun.model.LadderGenerator;

/**
 * The energy of a ladder generator for one image, on a float64 copy of the generator so that
 * Hessians taken by central differences of gradients keep their accuracy (see docs/STEPSIZE.md).
 */
public final class GeneratorEnergy implements LatentEnergy, AutoCloseable {

    private final NDManager manager;
    private final LadderGenerator generator;
    private final ParameterStore store;
    private final int[] dims;
    private final int dimension;
    private final double sigma;
    private NDArray x;
    private long pixels;

    /**
     * Makes a float64 copy of a generator.
     *
     * @param source the generator (any data type); it is not changed
     * @param sigma the observation noise
     * @param parent the manager the copy lives under until {@link #close}
     */
    public GeneratorEnergy(LadderGenerator source, double sigma, NDManager parent) {
        this.manager = parent.newSubManager();
        this.sigma = sigma;
        this.generator = source.copyAs(DataType.FLOAT64, manager);
        generator.freezeParameters(true);
        this.store = new ParameterStore(manager, false);
        this.dims = source.getConfig().getZDims();
        int d = 0;
        for (int z : dims) {
            d += z;
        }
        this.dimension = d;
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
        NDArray copy = image.toType(DataType.FLOAT64, true);
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
        return 0.5 * dimension * Math.log(2 * Math.PI) + 0.5 * pixels * Math.log(2 * Math.PI * sigma * sigma);
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
                    System.arraycopy(points, i * dimension + offset, columns[l], i * dims[l], dims[l]);
                }
                NDArray e = scope.create(columns[l], new Shape(m, dims[l]));
                e.setRequiresGradient(true);
                latents.add(e);
                offset += dims[l];
            }
            double[] squaredErrors;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray residual = x.sub(generator.forward(store, latents, true).singletonOrThrow());
                NDArray perPoint = residual.square().sum(new int[] {1, 2, 3});
                // backward on the plain sum; 1/(2 sigma^2) is applied below, outside the graph
                collector.backward(perPoint.sum());
                squaredErrors = perPoint.toDoubleArray();
            }
            offset = 0;
            for (int l = 0; l < dims.length; l++) {
                double[] g = latents.get(l).getGradient().toDoubleArray();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < dims[l]; j++) {
                        double e = columns[l][i * dims[l] + j];
                        gradients[i * dimension + offset + j] = g[i * dims[l] + j] * inverseTwoVariance + e;
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

    @Override
    public void close() {
        manager.close();
    }
}
