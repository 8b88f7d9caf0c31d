package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A 2-D transposed convolution (PyTorch's {@code ConvTranspose2d}: weight {@code [in, out, k, k]})
 * written with operations every engine has.
 *
 * <p>Output pixel {@code o = s*q + r} of a stride-{@code s} transposed convolution only sees the
 * kernel taps {@code t} with {@code t = (r + p) mod s}. Each of the {@code s*s} output phases is
 * therefore an ordinary cross-correlation of the input with a sub-kernel; all phases are computed
 * by one convolution whose output channels are phase-major, and a pixel shuffle interleaves them.
 * The sub-kernels are gathered from the weight by a constant 0/1 matrix, so gradients reach the
 * weight. For {@code s = 1} this reduces to the familiar flipped kernel with padding {@code k - 1 -
 * p}. Exact, not an approximation.
 */
public final class TransposedConv2d extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean bias;

    /** Offsets of the input relative to q that the phases read: dMin..dMax. */
    private final int dMin;

    private final int combined;
    private final int symmetricPad;
    private final int cropStart;
    private final float[] selection;

    private final Parameter weight;
    private final Parameter biasParameter;
    private NDArray selectionArray;

    private TransposedConv2d(Builder builder) {
        super(VERSION);
        inChannels = builder.inChannels;
        outChannels = builder.outChannels;
        kernel = builder.kernel;
        stride = builder.stride;
        padding = builder.padding;
        bias = builder.bias;
        if (kernel < 2 * padding || (kernel - 2 * padding) % stride != 0) {
            throw new IllegalArgumentException(
                    "transposed convolution needs (kernel - 2*padding) divisible by stride; got k="
                            + kernel
                            + " s="
                            + stride
                            + " p="
                            + padding);
        }
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (int r = 0; r < stride; r++) {
            int m = Math.floorDiv(r + padding, stride);
            int c = Math.floorMod(r + padding, stride);
            int taps = (kernel - c + stride - 1) / stride;
            if (taps > 0) {
                lo = Math.min(lo, m - taps + 1);
                hi = Math.max(hi, m);
            }
        }
        dMin = lo;
        combined = hi - lo + 1;
        int padLeft = -lo;
        int padRight = hi + (kernel - 2 * padding - stride) / stride;
        if (padLeft < 0 || padRight < 0) {
            throw new IllegalArgumentException(
                    "padding " + padding + " too large for kernel " + kernel);
        }
        symmetricPad = Math.max(padLeft, padRight);
        cropStart = symmetricPad - padLeft;
        selection = buildSelection();

        long fanIn = (long) outChannels * kernel * kernel;
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(inChannels, outChannels, kernel, kernel))
                                .optInitializer(new FanInUniform(fanIn))
                                .build());
        biasParameter =
                bias
                        ? addParameter(
                                Parameter.builder()
                                        .setName("bias")
                                        .setType(Parameter.Type.BIAS)
                                        .optShape(new Shape(outChannels))
                                        .optInitializer(new FanInUniform(fanIn))
                                        .build())
                        : null;
    }

    /**
     * Row {@code th*k + tw} of the matrix holds a 1 at the position the tap takes in the combined
     * kernel {@code [rh, rw, uh, uw]}.
     */
    private float[] buildSelection() {
        int cols = stride * stride * combined * combined;
        float[] m = new float[kernel * kernel * cols];
        for (int rh = 0; rh < stride; rh++) {
            for (int rw = 0; rw < stride; rw++) {
                for (int th = 0; th < kernel; th++) {
                    int uh = offset(rh, th);
                    if (uh < 0) {
                        continue;
                    }
                    for (int tw = 0; tw < kernel; tw++) {
                        int uw = offset(rw, tw);
                        if (uw < 0) {
                            continue;
                        }
                        int col = ((rh * stride + rw) * combined + uh) * combined + uw;
                        m[(th * kernel + tw) * cols + col] = 1f;
                    }
                }
            }
        }
        return m;
    }

    /** Position in the combined kernel of tap t for phase r, or -1 if the phase skips it. */
    private int offset(int r, int t) {
        int c = Math.floorMod(r + padding, stride);
        if (Math.floorMod(t - c, stride) != 0) {
            return -1;
        }
        int j = (t - c) / stride;
        int m = Math.floorDiv(r + padding, stride);
        return m - j - dMin;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDManager scope = x.getManager();
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        NDArray y =
                PaddedConv2d.paddedConv2d(
                        x,
                        combinedKernel(w, scope),
                        null,
                        new Shape(1, 1),
                        new Shape(symmetricPad, symmetricPad),
                        new Shape(1, 1));
        long n = x.getShape().get(0);
        long q = x.getShape().get(2) + (kernel - 2 * padding - stride) / stride;
        long qw = x.getShape().get(3) + (kernel - 2 * padding - stride) / stride;
        if (cropStart != 0 || y.getShape().get(2) != q || y.getShape().get(3) != qw) {
            y =
                    y.get(
                            new NDIndex(
                                    ":, :, {}:{}, {}:{}",
                                    cropStart,
                                    cropStart + q,
                                    cropStart,
                                    cropStart + qw));
        }
        if (stride > 1) {
            y =
                    y.reshape(n, outChannels, stride, stride, q, qw)
                            .transpose(0, 1, 4, 2, 5, 3)
                            .reshape(n, outChannels, q * stride, qw * stride);
        }
        if (bias) {
            NDArray b =
                    parameterStore
                            .getValue(biasParameter, x.getDevice(), training)
                            .reshape(1, outChannels, 1, 1);
            // arrays derived from a parameter land in the model's manager; move them to the
            // caller's
            b.attach(scope);
            y = y.add(b);
        }
        return new NDList(y);
    }

    /**
     * The conv kernel {@code [out*s*s, in, kc, kc]} holding every phase's sub-kernel, built in
     * {@code scope} so that it is freed with the caller's arrays rather than the model's.
     */
    private NDArray combinedKernel(NDArray w, NDManager scope) {
        NDArray flat = w.reshape((long) inChannels * outChannels, (long) kernel * kernel);
        flat.attach(scope);
        return flat.matMul(selection(w))
                .reshape(inChannels, outChannels, stride * stride, combined, combined)
                .transpose(1, 2, 0, 3, 4)
                .reshape((long) outChannels * stride * stride, inChannels, combined, combined);
    }

    /** The constant 0/1 gather matrix, made once beside the weight. */
    private NDArray selection(NDArray w) {
        NDArray cached = selectionArray;
        if (cached == null
                || !cached.getDevice().equals(w.getDevice())
                || cached.getDataType() != w.getDataType()) {
            int cols = stride * stride * combined * combined;
            cached =
                    w.getManager()
                            .create(selection, new Shape(kernel * kernel, cols))
                            .toType(w.getDataType(), false);
            selectionArray = cached;
        }
        return cached;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long h = (in.get(2) - 1) * stride - 2L * padding + kernel;
        long w = (in.get(3) - 1) * stride - 2L * padding + kernel;
        return new Shape[] {new Shape(in.get(0), outChannels, h, w)};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children: the parameters carry fixed shapes
    }

    /** Builds a {@link TransposedConv2d}. */
    public static final class Builder {
        private int inChannels;
        private int outChannels;
        private int kernel;
        private int stride = 1;
        private int padding;
        private boolean bias = true;

        Builder() {}

        /**
         * Sets the input and output channel counts.
         *
         * @param in input channels
         * @param out output channels
         * @return this builder
         */
        public Builder setChannels(int in, int out) {
            inChannels = in;
            outChannels = out;
            return this;
        }

        /**
         * Sets the square kernel size.
         *
         * @param kernel the kernel side
         * @return this builder
         */
        public Builder setKernel(int kernel) {
            this.kernel = kernel;
            return this;
        }

        /**
         * Sets the stride (default 1).
         *
         * @param stride the stride
         * @return this builder
         */
        public Builder optStride(int stride) {
            this.stride = stride;
            return this;
        }

        /**
         * Sets the padding as PyTorch's {@code ConvTranspose2d} means it (default 0).
         *
         * @param padding the padding
         * @return this builder
         */
        public Builder optPadding(int padding) {
            this.padding = padding;
            return this;
        }

        /**
         * Whether to add a bias (default true).
         *
         * @param bias true for a bias
         * @return this builder
         */
        public Builder optBias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /**
         * Builds the block.
         *
         * @return the block
         */
        public TransposedConv2d build() {
            if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
                throw new IllegalArgumentException("channels, kernel and stride must be positive");
            }
            return new TransposedConv2d(this);
        }
    }
}
