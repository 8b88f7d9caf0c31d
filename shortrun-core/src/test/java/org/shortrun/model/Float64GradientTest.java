package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.shortrun.engine.GradientCheck;

/**
 * Every convolution, transposed convolution and linear layer the generator uses, at every distinct
 * shape over the configurations below and at batch 1, 2, 16 and 64, and the whole generator at
 * batch 16: float32 gradients with respect to inputs and parameters against a float64 recomputation
 * from the same values. On a machine whose oneDNN has the bug of docs/DESIGN.md these fail for
 * unpadded convolutions; {@code HiddenCacheEngineTest} makes that happen on any AMD machine.
 */
class Float64GradientTest {

    /**
     * L = 1..5; n_f 16 and 64; grey and RGB; 32 and 64 pixels; z-dims below and above n_f; the
     * released and the ladder parameterisation, with and without skip connections.
     */
    static final List<LadderConfig> CONFIGS =
            List.of(
                    config(16, 1, 32, SdHead.RELEASED, 16, 32, 64),
                    config(16, 1, 32, SdHead.RELEASED, 8),
                    config(16, 3, 64, SdHead.SOFTPLUS, 24, 8),
                    config(16, 3, 32, SdHead.RELEASED, 4, 12, 20, 100),
                    config(16, 1, 32, SdHead.RELEASED, 16, 16, 16, 32, 64),
                    config(16, 1, 32, SdHead.RELEASED, 4, 6),
                    config(64, 3, 32, SdHead.RELEASED, 128),
                    config(64, 1, 32, SdHead.SOFTPLUS, 100, 12),
                    config(64, 3, 32, SdHead.RELEASED, 32, 64, 128),
                    config(64, 1, 64, SdHead.RELEASED, 8, 72, 40, 200),
                    config(64, 3, 64, SdHead.RELEASED, 64, 64, 64, 96, 128),
                    ladder(16, 1, true, 16, 32, 64),
                    ladder(64, 3, false, 32, 64, 128));

    static final int[] BATCHES = {1, 2, 16, 64};

    private static final NDManager MANAGER = NDManager.newBaseManager();
    private static final Map<LadderConfig, LadderGenerator[]> GENERATORS = new LinkedHashMap<>();

    @AfterAll
    static void close() {
        MANAGER.close();
    }

    static LadderConfig config(
            int channels, int imageChannels, int size, SdHead head, int... zDims) {
        return LadderConfig.builder()
                .setZDims(zDims)
                .optChannels(channels)
                .optImageChannels(imageChannels)
                .optImageSize(size)
                .optSdHead(head)
                .build();
    }

    static LadderConfig ladder(int channels, int imageChannels, boolean skip, int... zDims) {
        return LadderConfig.builder()
                .setZDims(zDims)
                .optChannels(channels)
                .optImageChannels(imageChannels)
                .optParameterisation(Parameterisation.LADDER)
                .optSkipConnections(skip)
                .build();
    }

    /**
     * The float32 generator of a configuration, initialised from a fixed seed, and its float64
     * copy.
     */
    static synchronized LadderGenerator[] generators(LadderConfig config) {
        return GENERATORS.computeIfAbsent(
                config,
                c -> {
                    Engine.getInstance().setRandomSeed(CONFIGS.indexOf(c) + 1);
                    LadderGenerator single = new LadderGenerator(c);
                    single.initialize(MANAGER, DataType.FLOAT32, single.latentShapes(1));
                    return new LadderGenerator[] {single, single.copyAs(DataType.FLOAT64, MANAGER)};
                });
    }

    /** A layer with parameters, found by its path of child indices from the generator. */
    record Layer(LadderConfig config, int[] path, String description) {
        Block in(LadderGenerator generator) {
            Block b = generator;
            for (int i : path) {
                b = b.getChildren().get(i).getValue();
            }
            return b;
        }
    }

    private static boolean isLayer(Block b) {
        return b instanceof Conv2d || b instanceof TransposedConv2d || b instanceof Linear;
    }

    private static void collect(
            LadderConfig config, Block block, List<Integer> path, Map<String, Layer> layers) {
        if (isLayer(block)) {
            Shape in = block.getInputShapes()[0];
            StringBuilder d =
                    new StringBuilder(block.getClass().getSimpleName())
                            .append(" in ")
                            .append(in.slice(1))
                            .append(" out ")
                            .append(block.getOutputShapes(new Shape[] {in})[0].slice(1))
                            .append(" parameters");
            block.getParameters()
                    .forEach(p -> d.append(' ').append(p.getValue().getArray().getShape()));
            layers.putIfAbsent(
                    d.toString(),
                    new Layer(
                            config,
                            path.stream().mapToInt(Integer::intValue).toArray(),
                            d.toString()));
            return;
        }
        for (int i = 0; i < block.getChildren().size(); i++) {
            List<Integer> child = new ArrayList<>(path);
            child.add(i);
            collect(config, block.getChildren().get(i).getValue(), child, layers);
        }
    }

    /** Every distinct layer shape of every configuration, at every batch. */
    static Stream<Arguments> layers() {
        Map<String, Layer> layers = new LinkedHashMap<>();
        for (LadderConfig c : CONFIGS) {
            collect(c, generators(c)[0], List.of(), layers);
        }
        List<Arguments> cases = new ArrayList<>();
        for (Layer layer : layers.values()) {
            for (int batch : BATCHES) {
                cases.add(Arguments.of(layer.description(), batch, layer));
            }
        }
        return cases.stream();
    }

    @Test
    void everyKindOfLayerIsCovered() {
        List<String> kinds =
                layers().map(a -> ((String) a.get()[0]).split(" ")[0]).distinct().sorted().toList();
        assertEquals(List.of("Linear", "PaddedConv2d", "TransposedConv2d"), kinds);
        long distinct = layers().map(a -> a.get()[0]).distinct().count();
        assertTrue(distinct >= 40, distinct + " distinct layer shapes");
    }

    @ParameterizedTest(name = "{0}, batch {1}")
    @MethodSource("layers")
    void layerGradientsAgreeWithFloat64(String description, int batch, Layer layer) {
        LadderGenerator[] g = generators(layer.config());
        Block single = layer.in(g[0]);
        Block reference = layer.in(g[1]);
        Shape shape = new Shape(batch).addAll(single.getInputShapes()[0].slice(1));
        GradientCheck.Result r =
                GradientCheck.compare(
                        single,
                        reference,
                        new Shape[] {shape},
                        batch * 31L + description.hashCode(),
                        MANAGER);
        assertTrue(r.agrees(), description + " at batch " + batch + ": " + r);
    }

    static Stream<LadderConfig> configs() {
        return CONFIGS.stream();
    }

    /**
     * The latents' gradient (Langevin's) and every parameter's (learning's), through the whole
     * generator.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void generatorGradientsAgreeWithFloat64AtBatch16(LadderConfig config) {
        LadderGenerator[] g = generators(config);
        GradientCheck.Result r =
                GradientCheck.compare(g[0], g[1], g[0].latentShapes(16), 16, MANAGER);
        assertTrue(r.agrees(), config + ": " + r);
    }

    /**
     * The float64 reference itself, against central differences of the summed squared error along a
     * random direction of the latents and one of the parameters.
     */
    @Test
    void float64ReferenceMatchesCentralDifferences() {
        LadderConfig config = CONFIGS.get(3);
        LadderGenerator g = generators(config)[1];
        try (NDManager scope = MANAGER.newSubManager()) {
            Random random = new Random(9);
            NDList e = new NDList();
            NDList direction = new NDList();
            for (Shape s : g.latentShapes(2)) {
                e.add(scope.create(gaussian(random, s), s));
                direction.add(scope.create(gaussian(random, s), s));
            }
            Shape imageShape = g.getOutputShapes(g.latentShapes(2))[0];
            NDArray x = scope.create(gaussian(random, imageShape), imageShape);
            ParameterStore store = new ParameterStore(scope, false);
            double slope = 0;
            for (NDArray latent : e) {
                latent.setRequiresGradient(true);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(
                        x.sub(g.forward(store, e, true).singletonOrThrow()).square().sum());
            }
            for (int l = 0; l < e.size(); l++) {
                slope += e.get(l).getGradient().mul(direction.get(l)).sum().getDouble();
            }
            double h = 1e-5;
            double up = loss(g, store, shifted(e, direction, h), x);
            double down = loss(g, store, shifted(e, direction, -h), x);
            double difference = (up - down) / (2 * h);
            assertEquals(slope, difference, 1e-6 * Math.abs(slope), "directional derivative");
        }
    }

    private static NDList shifted(NDList e, NDList direction, double h) {
        NDList out = new NDList();
        for (int l = 0; l < e.size(); l++) {
            out.add(e.get(l).stopGradient().add(direction.get(l).mul(h)));
        }
        return out;
    }

    private static double loss(LadderGenerator g, ParameterStore store, NDList e, NDArray x) {
        return x.sub(g.forward(store, e, false).singletonOrThrow()).square().sum().getDouble();
    }

    private static double[] gaussian(Random random, Shape shape) {
        double[] v = new double[Math.toIntExact(shape.size())];
        Arrays.setAll(v, i -> random.nextGaussian());
        return v;
    }
}
