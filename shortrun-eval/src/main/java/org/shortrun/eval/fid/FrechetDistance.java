package org.shortrun.eval.fid;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Frechet distance between two Gaussians fitted to features: {@code ||mu1 - mu2||^2 + tr S1 +
 * tr S2 - 2 tr sqrt(S1 S2)}, in float64.
 *
 * <p>pytorch-fid takes {@code scipy.linalg.sqrtm} of the non-symmetric product S1 S2. Here the
 * trace comes from the symmetric matrix {@code sqrt(S1) S2 sqrt(S1)}, which has the same
 * eigenvalues, through two symmetric eigendecompositions: equal in exact arithmetic, and free of
 * the complex round-off that sqrtm produces when N < d makes the covariances singular. What
 * pytorch-fid guards against is kept: a non-finite result is retried with eps on both diagonals,
 * and eigenvalues that are clearly negative (an imaginary square root) are an error.
 */
public final class FrechetDistance {

    /** pytorch-fid's offset on the diagonals when the first attempt is not finite. */
    public static final double EPS = 1e-6;

    /** pytorch-fid's tolerance on the imaginary part of the square root. */
    public static final double IMAGINARY_TOLERANCE = 1e-3;

    /**
     * The distance and its parts.
     *
     * @param distance the Frechet distance
     * @param meanTerm {@code ||mu1 - mu2||^2}
     * @param traceSqrt {@code tr sqrt(S1 S2)}
     * @param imaginary the square root of the most negative eigenvalue of {@code sqrt(S1) S2
     *     sqrt(S1)}: the size of the imaginary part scipy would have had to drop
     * @param offsetAdded whether eps had to be added to the diagonals
     */
    public record Result(
            double distance,
            double meanTerm,
            double traceSqrt,
            double imaginary,
            boolean offsetAdded) {}

    private FrechetDistance() {}

    /**
     * Computes the distance between two sets of statistics.
     *
     * @param a the first
     * @param b the second
     * @return the distance and its parts
     * @throws IllegalArgumentException if the dimensions differ
     * @throws ArithmeticException if the square root has a significant imaginary part, or the
     *     result is not finite even with the offset
     */
    public static Result compute(FeatureStatistics a, FeatureStatistics b) {
        if (a.getDimension() != b.getDimension()) {
            throw new IllegalArgumentException(
                    "feature dimensions differ: " + a.getDimension() + " and " + b.getDimension());
        }
        double[] m1 = a.meanView();
        double[] m2 = b.meanView();
        double meanTerm = 0;
        for (int i = 0; i < m1.length; i++) {
            double d = m1[i] - m2[i];
            meanTerm += d * d;
        }
        DMatrixRMaj s1 = a.covarianceView();
        DMatrixRMaj s2 = b.covarianceView();
        double traces = CommonOps_DDRM.trace(s1) + CommonOps_DDRM.trace(s2);
        double[] sqrtTrace = traceSqrtProduct(s1, s2);
        boolean offset = false;
        if (!Double.isFinite(sqrtTrace[0])) {
            offset = true;
            DMatrixRMaj o1 = s1.copy();
            DMatrixRMaj o2 = s2.copy();
            for (int i = 0; i < m1.length; i++) {
                o1.add(i, i, EPS);
                o2.add(i, i, EPS);
            }
            sqrtTrace = traceSqrtProduct(o1, o2);
        }
        if (sqrtTrace[1] > IMAGINARY_TOLERANCE) {
            throw new ArithmeticException(
                    "imaginary component " + sqrtTrace[1] + " in sqrt(S1 S2)");
        }
        double distance = meanTerm + traces - 2 * sqrtTrace[0];
        if (!Double.isFinite(distance)) {
            throw new ArithmeticException(
                    "the Frechet distance is not finite ("
                            + distance
                            + "); are the features finite?");
        }
        return new Result(distance, meanTerm, sqrtTrace[0], sqrtTrace[1], offset);
    }

    /** Returns {tr sqrt(s1 s2), sqrt of the most negative eigenvalue (0 if none)}. */
    private static double[] traceSqrtProduct(DMatrixRMaj s1, DMatrixRMaj s2) {
        int d = s1.numRows;
        if (!allFinite(s1) || !allFinite(s2)) {
            return new double[] {Double.NaN, 0};
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(s1.copy())) {
            return new double[] {Double.NaN, 0};
        }
        // root = V diag(sqrt(max(w, 0))) V^T
        DMatrixRMaj scaled = new DMatrixRMaj(d, d);
        DMatrixRMaj vectors = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double root = Math.sqrt(Math.max(0, eig.getEigenvalue(k).getReal()));
            DMatrixRMaj v = eig.getEigenVector(k);
            for (int i = 0; i < d; i++) {
                vectors.unsafe_set(i, k, v.data[i]);
                scaled.unsafe_set(i, k, v.data[i] * root);
            }
        }
        DMatrixRMaj root = new DMatrixRMaj(d, d);
        CommonOps_MT_DDRM.multTransB(scaled, vectors, root);
        DMatrixRMaj tmp = new DMatrixRMaj(d, d);
        CommonOps_MT_DDRM.mult(root, s2, tmp);
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        CommonOps_MT_DDRM.mult(tmp, root, m);
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double mean = 0.5 * (m.unsafe_get(i, j) + m.unsafe_get(j, i));
                m.unsafe_set(i, j, mean);
                m.unsafe_set(j, i, mean);
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eigM = DecompositionFactory_DDRM.eig(d, false, true);
        if (!eigM.decompose(m)) {
            return new double[] {Double.NaN, 0};
        }
        double trace = 0;
        double mostNegative = 0;
        for (int k = 0; k < d; k++) {
            double lambda = eigM.getEigenvalue(k).getReal();
            if (lambda > 0) {
                trace += Math.sqrt(lambda);
            } else {
                mostNegative = Math.min(mostNegative, lambda);
            }
        }
        return new double[] {trace, Math.sqrt(-mostNegative)};
    }

    private static boolean allFinite(DMatrixRMaj m) {
        for (double v : m.data) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
