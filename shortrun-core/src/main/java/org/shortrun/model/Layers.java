package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.util.PairList;
import org.shortrun.RandomStream;

/**
 * Factories for the generator's pieces, initialised as PyTorch initialises its layers (uniform
 * within 1/sqrt(fan-in), weights and biases) so that learning starts where the peer's does.
 */
final class Layers {

    private static final NDIndex ALL = new NDIndex("...");

    private Layers() {}

    static Block conv(int in, int out, int kernel, int padding) {
        return conv(in, out, kernel, padding, 1);
    }

    static Block conv(int in, int out, int kernel, int padding, int stride) {
        Conv2d conv =
                PaddedConv2d.builder()
                        .setKernelShape(new Shape(kernel, kernel))
                        .optPadding(new Shape(padding, padding))
                        .optStride(new Shape(stride, stride))
                        .setFilters(out)
                        .build();
        conv.setInitializer(uniform(in * kernel * kernel), p -> true);
        return conv;
    }

    static Block linear(int in, int out) {
        Linear linear = Linear.builder().setUnits(out).build();
        linear.setInitializer(uniform(in), p -> true);
        return linear;
    }

    /** Projection p_i: Linear, GELU, reshape to coef maps of 16 x 16, transposed conv k5, GELU. */
    static Block projection(int zDim, int coef, int channels) {
        int grid = LadderConfig.GRID;
        return new SequentialBlock()
                .add(linear(zDim, coef * grid * grid))
                .add(Activation::gelu)
                .addSingleton(x -> x.reshape(-1, coef, grid, grid))
                .add(
                        TransposedConv2d.builder()
                                .setChannels(coef, channels)
                                .setKernel(5)
                                .optPadding(2)
                                .optBias(false)
                                .build())
                .add(Activation::gelu);
    }

    /**
     * An encoder's way down from the image to the 16 x 16 map: stride-2 convs k4 with GELU, one per
     * halving.
     */
    static SequentialBlock encoderStem(LadderConfig config) {
        int nf = config.getChannels();
        SequentialBlock down = new SequentialBlock();
        down.add(conv(config.getImageChannels(), nf, 4, 1, 2)).add(Activation::gelu);
        if (config.getImageSize() == 64) {
            down.add(conv(nf, nf, 4, 1, 2)).add(Activation::gelu);
        }
        return down;
    }

    /** Deterministic d_i: conv k5, GELU, conv k3, GELU, plus the input. */
    static Block residual(int channels) {
        Block body =
                new SequentialBlock()
                        .add(conv(channels, channels, 5, 2))
                        .add(Activation::gelu)
                        .add(conv(channels, channels, 3, 1))
                        .add(Activation::gelu);
        return new ParallelBlock(
                outs ->
                        new NDList(
                                outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow())),
                java.util.List.of(body, Blocks.identityBlock()));
    }

    /** One branch of a Gaussian head: conv k5 without padding, GELU, flatten, Linear. */
    static Block headBranch(int channels, int zDim) {
        int side = LadderConfig.GRID - 4;
        return new SequentialBlock()
                .add(conv(channels, zDim, 5, 0))
                .add(Activation::gelu)
                .add(Blocks.batchFlattenBlock())
                .add(linear(zDim * side * side, zDim));
    }

    /** The ladder parameterisation's merge of a mean and its noise: Linear(2 z -> z), GELU. */
    static Block merge(int zDim) {
        return new SequentialBlock().add(linear(2 * zDim, zDim)).add(Activation::gelu);
    }

    /** Makes every fan-in uniform initialiser of a block draw from {@code stream}. */
    static void drawInitialValuesFrom(Block block, RandomStream stream) {
        for (Parameter parameter : block.getParameters().values()) {
            if (parameter.getInitializer() instanceof FanInUniform uniform) {
                parameter.setInitializer(uniform.drawingFrom(stream));
            }
        }
    }

    /** Copies every parameter's values into the same-named parameter of an initialised copy. */
    static void copyValues(Block from, Block to, DataType dataType) {
        PairList<String, Parameter> source = from.getParameters();
        PairList<String, Parameter> target = to.getParameters();
        for (int i = 0; i < source.size(); i++) {
            // an indexed assignment copies the values; set(Buffer) would make the parameter
            // share memory with a temporary array
            try (NDArray value = source.get(i).getValue().getArray().toType(dataType, true)) {
                target.get(i).getValue().getArray().set(ALL, value);
            }
        }
    }

    private static FanInUniform uniform(int fanIn) {
        return new FanInUniform(fanIn);
    }
}
