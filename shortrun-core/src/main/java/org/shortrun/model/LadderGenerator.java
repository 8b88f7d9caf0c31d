package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * The ladder generator g(e) of the released script, as a DJL Block.
 *
 * <p>Input: the whitened latents {@code e_1..e_L}, top first, each {@code [n, z_dim]}. The top
 * latent is used as it is; below it, {@code z_l = mu_l + sd_l * e_l} with the Gaussian heads of the
 * layer above, or with the {@link Parameterisation#LADDER} form {@code z_l = GELU(Linear([mu_l;
 * e_l]))}. Every layer projects its latent to a 16 x 16 feature map, refines it with a residual
 * block and adds the layer above's map (the skip). After the last layer, one more residual block
 * and stride-2 transposed convolutions to the image, with tanh. Output: {@code [n, c, size, size]}
 * in [-1, 1].
 */
public final class LadderGenerator extends AbstractBlock implements LatentGenerator {

    private static final byte VERSION = 1;

    private final LadderConfig config;
    private final List<Block> projections = new ArrayList<>();
    private final List<Block> residuals = new ArrayList<>();
    private final List<Block> heads = new ArrayList<>();
    private final List<Block> merges = new ArrayList<>();
    private final Block extra;
    private final Block output;

    /**
     * Creates an uninitialised generator; call {@link #initialize(NDManager, DataType, Shape...)}
     * with {@link #latentShapes(long)} or load parameters before use.
     *
     * @param config the architecture
     */
    public LadderGenerator(LadderConfig config) {
        super(VERSION);
        this.config = config;
        int[] z = config.getZDims();
        int nf = config.getChannels();
        for (int i = 0; i < z.length; i++) {
            projections.add(
                    addChildBlock(
                            "projection" + i,
                            Layers.projection(z[i], config.getProjectionChannels(), nf)));
            residuals.add(addChildBlock("deterministic" + i, Layers.residual(nf)));
            if (i + 1 < z.length) {
                if (config.getParameterisation() == Parameterisation.LADDER) {
                    heads.add(addChildBlock("head" + i, Layers.headBranch(nf, z[i + 1])));
                    merges.add(addChildBlock("merge" + i, Layers.merge(z[i + 1])));
                } else {
                    heads.add(
                            addChildBlock(
                                    "head" + i,
                                    new GaussianHead(nf, z[i + 1], config.getSdHead())));
                }
            }
        }
        extra = addChildBlock("extra", Layers.residual(nf));
        SequentialBlock out = new SequentialBlock();
        if (config.getImageSize() == 64) {
            out.add(
                            TransposedConv2d.builder()
                                    .setChannels(nf, nf)
                                    .setKernel(4)
                                    .optStride(2)
                                    .optPadding(1)
                                    .build())
                    .add(Activation::gelu);
        }
        out.add(
                        TransposedConv2d.builder()
                                .setChannels(nf, config.getImageChannels())
                                .setKernel(4)
                                .optStride(2)
                                .optPadding(1)
                                .build())
                .add(Activation::tanh);
        output = addChildBlock("output", out);
    }

    /**
     * Returns the architecture.
     *
     * @return the configuration
     */
    public LadderConfig getConfig() {
        return config;
    }

    /** {@inheritDoc} */
    @Override
    public List<Shape> getLatentShapes() {
        List<Shape> shapes = new ArrayList<>();
        for (int z : config.getZDims()) {
            shapes.add(new Shape(z));
        }
        return shapes;
    }

    /** {@inheritDoc} */
    @Override
    public Shape getImageShape() {
        int side = config.getImageSize();
        return new Shape(config.getImageChannels(), side, side);
    }

    /** {@inheritDoc} */
    @Override
    public LadderGenerator newInstance() {
        return new LadderGenerator(config);
    }

    /** {@inheritDoc} */
    @Override
    public LadderGenerator copyAs(DataType dataType, NDManager manager) {
        return (LadderGenerator) LatentGenerator.super.copyAs(dataType, manager);
    }

    /**
     * Chooses each layer's whitened latent during a top-down pass, given the prior the layers above
     * give it; an amortised posterior (Ladder-VAE) merges its own Gaussian with it here.
     */
    @FunctionalInterface
    public interface LatentChoice {
        /**
         * Returns the whitened latent {@code e_l} of a layer.
         *
         * @param layer the layer, 0 at the top
         * @param priorMean the mean of {@code z_l} given the layers above: null at the top, the
         *     mean fed to the merge with the {@link Parameterisation#LADDER} form
         * @param priorSd the standard deviation of {@code z_l} given the layers above, so that
         *     {@code z_l = priorMean + priorSd * e_l}; null at the top and with the ladder form
         * @return {@code [n, z_l]}
         */
        NDArray choose(int layer, NDArray priorMean, NDArray priorSd);
    }

    /**
     * Runs the top-down pass, asking {@code choice} for each layer's whitened latent once the
     * layers above it are computed. {@link #forward} is this pass with the given latents.
     *
     * @param parameterStore the parameter store
     * @param training whether this is a training pass
     * @param choice gives each layer's latent, top first
     * @return the images {@code [n, c, size, size]}
     */
    public NDArray generate(ParameterStore parameterStore, boolean training, LatentChoice choice) {
        NDArray skip = null;
        NDArray out = null;
        for (int i = 0; i < projections.size(); i++) {
            NDArray z;
            if (i == 0) {
                z = choice.choose(0, null, null);
            } else if (merges.isEmpty()) {
                NDList gaussian =
                        heads.get(i - 1).forward(parameterStore, new NDList(out), training);
                z =
                        gaussian.get(0)
                                .add(
                                        gaussian.get(1)
                                                .mul(
                                                        choice.choose(
                                                                i,
                                                                gaussian.get(0),
                                                                gaussian.get(1))));
            } else {
                NDArray mu =
                        heads.get(i - 1)
                                .forward(parameterStore, new NDList(out), training)
                                .singletonOrThrow();
                z =
                        merges.get(i - 1)
                                .forward(
                                        parameterStore,
                                        new NDList(mu.concat(choice.choose(i, mu, null), 1)),
                                        training)
                                .singletonOrThrow();
            }
            out =
                    projections
                            .get(i)
                            .forward(parameterStore, new NDList(z), training)
                            .singletonOrThrow();
            out =
                    residuals
                            .get(i)
                            .forward(parameterStore, new NDList(out), training)
                            .singletonOrThrow();
            if (skip != null && config.hasSkipConnections()) {
                out = out.add(skip);
            }
            skip = out;
        }
        out = extra.forward(parameterStore, new NDList(out), training).singletonOrThrow();
        return output.forward(parameterStore, new NDList(out), training).singletonOrThrow();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(
                generate(parameterStore, training, (layer, mean, sd) -> inputs.get(layer)));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long n = inputShapes[0].get(0);
        int side = config.getImageSize();
        return new Shape[] {new Shape(n, config.getImageChannels(), side, side)};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        long n = inputShapes[0].get(0);
        Shape map = new Shape(n, config.getChannels(), LadderConfig.GRID, LadderConfig.GRID);
        for (int i = 0; i < projections.size(); i++) {
            projections.get(i).initialize(manager, dataType, inputShapes[i]);
            residuals.get(i).initialize(manager, dataType, map);
        }
        for (Block head : heads) {
            head.initialize(manager, dataType, map);
        }
        int[] z = config.getZDims();
        for (int i = 0; i < merges.size(); i++) {
            merges.get(i).initialize(manager, dataType, new Shape(n, 2L * z[i + 1]));
        }
        extra.initialize(manager, dataType, map);
        output.initialize(manager, dataType, map);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return config.toString();
    }
}
