package org.shortrun.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.util.Pair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam whose moments can be saved and restored, which DJL's {@code Adam} does not expose. The
 * update itself is the engine's fused one ({@code NDArrayEx.adamUpdate}), which also clears each
 * parameter's gradient.
 */
public final class Adam implements AutoCloseable {

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final NDManager manager;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private long updates;

    /**
     * Creates an optimiser whose moments live in a sub-manager of {@code parent}.
     *
     * @param parent the manager of the model's parameters
     * @param beta1 decay of the first moment
     * @param beta2 decay of the second moment
     * @param epsilon the denominator's guard
     */
    public Adam(NDManager parent, float beta1, float beta2, float epsilon) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        manager = parent.newSubManager();
    }

    /**
     * Returns how many updates have been made.
     *
     * @return the update count t
     */
    public long getUpdates() {
        return updates;
    }

    /**
     * Updates every parameter that has a gradient, then clears the gradients.
     *
     * @param parameters the parameters, in a stable order
     * @param learningRate the learning rate for this update
     */
    public void step(ParameterList parameters, float learningRate) {
        step(parameters, learningRate, name -> 1f);
    }

    /**
     * Updates every parameter that has a gradient, each at the learning rate times its multiplier,
     * then clears the gradients.
     *
     * @param parameters the parameters, in a stable order
     * @param learningRate the learning rate for this update
     * @param multiplier each parameter's factor on the learning rate, by its name
     */
    public void step(
            ParameterList parameters,
            float learningRate,
            java.util.function.ToDoubleFunction<String> multiplier) {
        updates++;
        double correction1 = 1.0 - Math.pow(beta1, updates);
        double correction2 = 1.0 - Math.pow(beta2, updates);
        float corrected = (float) (learningRate * Math.sqrt(correction2) / correction1);
        for (Pair<String, Parameter> pair : parameters) {
            NDArray weight = pair.getValue().getArray();
            NDArray[] m = moments.computeIfAbsent(pair.getKey(), k -> newMoments(weight));
            float factor = (float) multiplier.applyAsDouble(pair.getKey());
            try (NDArray grad = weight.getGradient()) {
                weight.getNDArrayInternal()
                        .adamUpdate(
                                new NDList(weight, grad, m[0], m[1]),
                                new NDList(weight),
                                learningRate * factor,
                                corrected * factor,
                                0f,
                                1f,
                                -1f,
                                beta1,
                                beta2,
                                epsilon,
                                false,
                                false);
            }
        }
    }

    /**
     * Finds the first parameter or moment holding a value that is not finite. One sum per array and
     * one transfer find the common case fast; only an array whose sum is not finite is counted
     * element by element.
     *
     * @param parameters the parameters, in the order used by {@link #step}
     * @return e.g. "parameter 03Linear_weight holds 12 non-finite values", or null if all are
     *     finite
     */
    public String describeNonFinite(ParameterList parameters) {
        // named only if one is reported: this runs after every update
        List<String> keys = new ArrayList<>();
        List<NDArray> arrays = new ArrayList<>();
        for (Pair<String, Parameter> pair : parameters) {
            keys.add(pair.getKey());
            arrays.add(pair.getValue().getArray());
            NDArray[] m = moments.get(pair.getKey());
            if (m != null) {
                keys.add(pair.getKey());
                arrays.add(m[0]);
                keys.add(pair.getKey());
                arrays.add(m[1]);
            }
        }
        if (arrays.isEmpty()) {
            return null;
        }
        try (NDManager scope = manager.newSubManager()) {
            NDList sums = new NDList();
            for (NDArray a : arrays) {
                NDArray sum = a.sum();
                sum.attach(scope);
                sums.add(sum.toType(DataType.FLOAT64, false));
            }
            double[] values = NDArrays.stack(sums).toDoubleArray();
            for (int i = 0; i < values.length; i++) {
                if (!Double.isFinite(values[i])) {
                    // a copy in the scope, so that what is computed from it is freed with the scope
                    NDArray copy = arrays.get(i).duplicate();
                    copy.attach(scope);
                    long n =
                            copy.isNaN()
                                    .logicalOr(copy.isInfinite())
                                    .countNonzero()
                                    .toType(DataType.INT64, false)
                                    .getLong();
                    if (n > 0) {
                        return describe(arrays.get(i), keys.get(i))
                                + " holds "
                                + n
                                + " non-finite value"
                                + (n == 1 ? "" : "s")
                                + " of "
                                + arrays.get(i).size();
                    }
                }
            }
        }
        return null;
    }

    private String describe(NDArray array, String key) {
        NDArray[] m = moments.get(key);
        if (m != null && array == m[0]) {
            return "Adam's first moment of " + key;
        }
        if (m != null && array == m[1]) {
            return "Adam's second moment of " + key;
        }
        return "parameter " + key;
    }

    private NDArray[] newMoments(NDArray weight) {
        NDArray mean = manager.zeros(weight.getShape(), weight.getDataType(), weight.getDevice());
        NDArray variance =
                manager.zeros(weight.getShape(), weight.getDataType(), weight.getDevice());
        return new NDArray[] {mean, variance};
    }

    /**
     * Writes t and the moments of every parameter.
     *
     * @param parameters the parameters, in the order used by {@link #step}
     * @param out the stream
     * @throws IOException if writing fails
     */
    public void save(ParameterList parameters, DataOutputStream out) throws IOException {
        out.writeLong(updates);
        NDList list = new NDList();
        for (Pair<String, Parameter> pair : parameters) {
            NDArray[] m =
                    moments.computeIfAbsent(
                            pair.getKey(), k -> newMoments(pair.getValue().getArray()));
            list.add(m[0]);
            list.add(m[1]);
        }
        byte[] encoded = list.encode();
        out.writeInt(encoded.length);
        out.write(encoded);
    }

    /**
     * Restores t and the moments written by {@link #save}.
     *
     * @param parameters the parameters, in the order used by {@link #save}
     * @param in the stream
     * @throws IOException if the stream does not hold moments for these parameters
     */
    public void load(ParameterList parameters, DataInputStream in) throws IOException {
        long t = in.readLong();
        int length = in.readInt();
        if (length < 0 || length > (1 << 30)) {
            throw new IOException("optimizer state has an invalid length " + length);
        }
        byte[] encoded = in.readNBytes(length);
        if (encoded.length != length) {
            throw new IOException("optimizer state is truncated");
        }
        NDList list = NDList.decode(manager, encoded);
        if (list.size() != 2 * parameters.size()) {
            throw new IOException(
                    "optimizer state holds "
                            + list.size() / 2
                            + " parameters, expected "
                            + parameters.size());
        }
        moments.values()
                .forEach(
                        m -> {
                            m[0].close();
                            m[1].close();
                        });
        moments.clear();
        int i = 0;
        for (Pair<String, Parameter> pair : parameters) {
            NDArray weight = pair.getValue().getArray();
            NDArray mean = list.get(i++);
            NDArray variance = list.get(i++);
            if (!mean.getShape().equals(weight.getShape())
                    || !variance.getShape().equals(weight.getShape())) {
                throw new IOException("optimizer state does not match parameter " + pair.getKey());
            }
            moments.put(pair.getKey(), new NDArray[] {mean, variance});
        }
        updates = t;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        manager.close();
    }
}
