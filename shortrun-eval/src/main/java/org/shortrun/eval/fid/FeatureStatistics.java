package org.shortrun.eval.fid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.ejml.data.DMatrixRMaj;

/**
 * The mean and covariance of a set of feature vectors, in float64, with the N - 1 normalisation of
 * {@code numpy.cov}: the statistics the Frechet distance compares.
 */
public final class FeatureStatistics {

    private static final int MAGIC = 0x53524653; // "SRFS"

    private final double[] mean;
    private final DMatrixRMaj covariance;
    private final long count;

    FeatureStatistics(double[] mean, DMatrixRMaj covariance, long count) {
        this.mean = mean;
        this.covariance = covariance;
        this.count = count;
    }

    /**
     * Computes the statistics of the rows of a matrix.
     *
     * @param rows {@code rows[i]} is one feature vector; all of the same length
     * @param manager the manager the computation's arrays are opened under
     * @return the statistics
     */
    public static FeatureStatistics of(float[][] rows, NDManager manager) {
        try (Accumulator acc = new Accumulator(rows[0].length, manager)) {
            float[] flat = new float[rows.length * rows[0].length];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
            }
            acc.add(flat, rows.length);
            return acc.build();
        }
    }

    /**
     * @return the number of vectors
     */
    public long getCount() {
        return count;
    }

    /**
     * @return the feature dimension
     */
    public int getDimension() {
        return mean.length;
    }

    /**
     * @return the mean (a copy)
     */
    public double[] getMean() {
        return mean.clone();
    }

    /**
     * @return the covariance (a copy)
     */
    public DMatrixRMaj getCovariance() {
        return covariance.copy();
    }

    DMatrixRMaj covarianceView() {
        return covariance;
    }

    double[] meanView() {
        return mean;
    }

    /**
     * Writes the statistics in a small binary format (big-endian doubles).
     *
     * @param out the stream; not closed
     * @throws IOException if writing fails
     */
    public void write(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(MAGIC);
        data.writeInt(mean.length);
        data.writeLong(count);
        for (double v : mean) {
            data.writeDouble(v);
        }
        for (double v : covariance.data) {
            data.writeDouble(v);
        }
        data.flush();
    }

    /**
     * Reads statistics written by {@link #write}. The format carries no checksum, so damage inside
     * the numbers goes unseen; files kept on disk are written by {@link StatisticsCache}, which
     * seals them.
     *
     * @param in the stream; not closed
     * @return the statistics
     * @throws IOException if the stream is short or not in this format
     */
    public static FeatureStatistics read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        if (data.readInt() != MAGIC) {
            throw new IOException("not a feature statistics file");
        }
        int d = data.readInt();
        long count = data.readLong();
        if (d <= 0 || d > 1 << 15 || count < 2) {
            throw new IOException(
                    "feature statistics header is damaged (d=" + d + ", count=" + count + ")");
        }
        double[] mean = new double[d];
        for (int i = 0; i < d; i++) {
            mean[i] = data.readDouble();
        }
        // row by row, so a damaged dimension costs only what the stream really holds before it
        // ends, not d x d doubles up front (8 GiB at the limit)
        double[][] rows = new double[d][];
        for (int i = 0; i < d; i++) {
            rows[i] = new double[d];
            for (int j = 0; j < d; j++) {
                rows[i][j] = data.readDouble();
            }
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            System.arraycopy(rows[i], 0, cov.data, i * d, d);
        }
        return new FeatureStatistics(mean, cov, count);
    }

    /**
     * Accumulates feature vectors batch by batch, so that 40,000 of them never need to be in memory
     * at once. Sums are taken around a shift (the first batch's mean) in float64, which keeps the
     * one-pass covariance as accurate as the two-pass one of {@code numpy.cov}.
     */
    public static final class Accumulator implements AutoCloseable {

        private final int dimension;
        private final NDManager manager;
        private NDArray shift;
        private NDArray sum;
        private NDArray outer;
        private long count;

        /**
         * Creates an empty accumulator.
         *
         * @param dimension the feature dimension
         * @param parent the manager its arrays live under until {@link #close}
         */
        public Accumulator(int dimension, NDManager parent) {
            this.dimension = dimension;
            this.manager = parent.newSubManager();
        }

        /**
         * Adds a batch of feature vectors.
         *
         * @param rows {@code n * dimension} values, row-major
         * @param n the number of vectors
         */
        public void add(float[] rows, int n) {
            if (rows.length != (long) n * dimension) {
                throw new IllegalArgumentException(
                        "expected " + n + " x " + dimension + " values, got " + rows.length);
            }
            try (NDManager scope = manager.newSubManager()) {
                NDArray x =
                        scope.create(rows, new Shape(n, dimension)).toType(DataType.FLOAT64, false);
                if (shift == null) {
                    shift = x.mean(new int[] {0});
                    shift.attach(manager);
                    sum = manager.zeros(new Shape(dimension), DataType.FLOAT64);
                    outer = manager.zeros(new Shape(dimension, dimension), DataType.FLOAT64);
                }
                NDArray centred = x.sub(shift);
                sum.addi(centred.sum(new int[] {0}));
                outer.addi(centred.transpose().matMul(centred));
            }
            count += n;
        }

        /**
         * @return the number of vectors added so far
         */
        public long getCount() {
            return count;
        }

        /**
         * Returns the statistics of everything added.
         *
         * @return mean and N - 1 covariance
         * @throws IllegalStateException with fewer than 2 vectors
         */
        public FeatureStatistics build() {
            if (count < 2) {
                throw new IllegalStateException(
                        "statistics need at least 2 feature vectors, got " + count);
            }
            double[] s = sum.toDoubleArray();
            double[] o = outer.toDoubleArray();
            double[] shifted = new double[dimension];
            double[] mean = shift.toDoubleArray();
            for (int i = 0; i < dimension; i++) {
                shifted[i] = s[i] / count;
                mean[i] += shifted[i];
            }
            DMatrixRMaj cov = new DMatrixRMaj(dimension, dimension);
            for (int i = 0; i < dimension; i++) {
                for (int j = 0; j < dimension; j++) {
                    cov.data[i * dimension + j] =
                            (o[i * dimension + j] - count * shifted[i] * shifted[j]) / (count - 1);
                }
            }
            return new FeatureStatistics(mean, cov, count);
        }

        @Override
        public void close() {
            manager.close();
        }
    }
}
