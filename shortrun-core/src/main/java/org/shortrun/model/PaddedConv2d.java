package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * DJL's {@link Conv2d}, computed with its output channels padded by zero filters to a multiple of
 * {@value #CHANNEL_MULTIPLE} and the extra channels sliced off again.
 *
 * <p>On CPUs whose cache sizes the operating system cannot see (common in virtual machines), oneDNN
 * 3.2 and later, inside LibTorch 2.1 and later, computes wrong gradients with respect to the
 * <em>input</em> of a float32 convolution whose output channel count is not a multiple of 16, and
 * sometimes NaN (docs/DESIGN.md, "Wrong convolution gradients in the engine"). With the padding the
 * engine never meets such a convolution. The padded filters are constant zeros, not parameters, so
 * the output, the parameters and every gradient are those of the plain convolution. Parameters,
 * initialisation and saved form are {@link Conv2d}'s.
 */
public final class PaddedConv2d extends Conv2d {

    /** The output channel counts the engine gets right are the multiples of this. */
    public static final int CHANNEL_MULTIPLE = 16;

    private PaddedConv2d(Builder builder) {
        super(builder);
    }

    /**
     * Returns a builder, set as {@link Conv2d#builder()} is; groups must stay 1.
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
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        NDArray b = includeBias ? parameterStore.getValue(bias, x.getDevice(), training) : null;
        return new NDList(paddedConv2d(x, w, b, stride, padding, dilation));
    }

    /**
     * A 2-D cross-correlation, with the output channels padded as the class describes. Arrays made
     * from the weight are moved to the input's manager, so that nothing made per call outlives the
     * caller's scope.
     *
     * @param x the input {@code [n, in, h, w]}
     * @param weight the filters {@code [out, in, k, k]}
     * @param bias {@code [out]}, or null
     * @param stride the stride
     * @param padding the zero padding of the input
     * @param dilation the dilation
     * @return the output {@code [n, out, h', w']}
     */
    public static NDArray paddedConv2d(
            NDArray x, NDArray weight, NDArray bias, Shape stride, Shape padding, Shape dilation) {
        long out = weight.getShape().get(0);
        long missing = Math.floorMod(-out, CHANNEL_MULTIPLE);
        if (missing == 0) {
            return Conv2d.conv2d(x, weight, bias, stride, padding, dilation).singletonOrThrow();
        }
        NDManager scope = x.getManager();
        Shape filterShape = weight.getShape().slice(1);
        NDArray paddedWeight =
                weight.concat(
                        scope.zeros(new Shape(missing).addAll(filterShape), weight.getDataType()),
                        0);
        paddedWeight.attach(scope);
        NDArray paddedBias = null;
        if (bias != null) {
            paddedBias = bias.concat(scope.zeros(new Shape(missing), bias.getDataType()), 0);
            paddedBias.attach(scope);
        }
        NDArray y =
                Conv2d.conv2d(x, paddedWeight, paddedBias, stride, padding, dilation)
                        .singletonOrThrow();
        return y.get(new NDIndex(":, :{}", out));
    }

    /** Builds a {@link PaddedConv2d}. */
    public static final class Builder extends Conv2d.Builder {

        Builder() {}

        /**
         * Validates and builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException if a setting is missing or groups is not 1
         */
        @Override
        public PaddedConv2d build() {
            validate();
            if (groups != 1) {
                throw new IllegalArgumentException(
                        "a padded convolution has one group, got " + groups);
            }
            return new PaddedConv2d(this);
        }
    }
}
