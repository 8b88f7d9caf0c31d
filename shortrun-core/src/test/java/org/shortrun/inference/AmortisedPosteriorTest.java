package org.shortrun.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;
import org.shortrun.engine.GradientCheck;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderEncoder;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.Parameterisation;

/**
 * The Ladder-VAE merge and the KL terms by hand, and the negative ELBO's gradients against float64.
 */
class AmortisedPosteriorTest {

    /**
     * Three merges worked by hand:
     *
     * <ul>
     *   <li>encoder N(1, 1), prior N(0, 1): precisions 1 and 1, so var 1/2 and mean 1/2; m = 1/2, v
     *       = sqrt(1/2); KL = (1/4 + 1/2 - ln(1/2) - 1) / 2 = 0.2215736.
     *   <li>encoder N(2, 0.5^2), prior N(1, 2^2): precisions 4 and 1/4, var 4/17, mean (8 + 1/4)
     *       4/17 = 33/17; m = (33/17 - 1) / 2 = 8/17, v = sqrt(4/17) / 2 = 1/sqrt(17); KL = (64/289
     *       + 1/17 + ln 17 - 1) / 2 = 1.0567451.
     *   <li>encoder N(-1, 2^2), prior N(0.5, 1.5^2): precisions 1/4 and 4/9, var 36/25, mean (-1/4
     *       + 2/9) 36/25 = -0.04; m = (-0.04 - 0.5) / 1.5 = -0.36, v = 1.2 / 1.5 = 0.8; KL =
     *       (0.1296 + 0.64 - ln 0.64 - 1) / 2 = 0.1079436.
     * </ul>
     */
    @Test
    void theMergeAndItsKlAreTheHandComputedValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray muHat = manager.create(new float[] {1, 2, -1}, new Shape(3, 1));
            NDArray sdHat = manager.create(new float[] {1, 0.5f, 2}, new Shape(3, 1));
            NDArray priorMean = manager.create(new float[] {0, 1, 0.5f}, new Shape(3, 1));
            NDArray priorSd = manager.create(new float[] {1, 2, 1.5f}, new Shape(3, 1));
            NDList q = AmortisedPosterior.merge(muHat, sdHat, priorMean, priorSd);
            assertArrayEquals(new float[] {0.5f, 8f / 17, -0.36f}, q.get(0).toFloatArray(), 1e-6f);
            assertArrayEquals(
                    new float[] {(float) Math.sqrt(0.5), (float) (1 / Math.sqrt(17)), 0.8f},
                    q.get(1).toFloatArray(),
                    1e-6f);
            assertArrayEquals(
                    new float[] {0.2215736f, 1.0567451f, 0.1079436f},
                    AmortisedPosterior.klFromStandardNormal(q.get(0), q.get(1)).toFloatArray(),
                    1e-6f);
        }
    }

    /**
     * KL sums over dimensions: N((0.5, -1), diag(2^2, 0.5^2)) is (0.25 + 4 - ln 4 - 1)/2 + (1 +
     * 0.25 - ln 0.25 - 1)/2.
     */
    @Test
    void theKlSumsOverDimensionsAndIsZeroAtThePrior() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray m = manager.create(new float[] {0.5f, -1, 0, 0}, new Shape(2, 2));
            NDArray v = manager.create(new float[] {2, 0.5f, 1, 1}, new Shape(2, 2));
            float[] kl = AmortisedPosterior.klFromStandardNormal(m, v).toFloatArray();
            assertEquals(
                    (0.25 + 4 - Math.log(4) - 1) / 2 + (1 + 0.25 - Math.log(0.25) - 1) / 2,
                    kl[0],
                    1e-6);
            assertEquals(0, kl[1], 0);
        }
    }

    /** The posterior means are the encoder's means at L = 1, whichever form; noise moves them. */
    @Test
    void atOneLayerBothFormsAreTheEncodersGaussian() {
        LadderConfig config =
                LadderConfig.builder().setZDims(8).optChannels(16).optImageChannels(1).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator generator = new LadderGenerator(config);
            generator.initialize(manager, DataType.FLOAT32, RandomStream.seeded(1), 2);
            LadderEncoder encoder = new LadderEncoder(config);
            encoder.initialize(manager, DataType.FLOAT32, RandomStream.seeded(2), 2);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x =
                    RandomStream.seeded(3)
                            .uniform(manager, 1f, encoder.inputShape(2), DataType.FLOAT32);
            float[] mu = encoder.forward(store, new NDList(x), false).get(0).toFloatArray();
            AmortisedPosterior.Pass ladder =
                    AmortisedPosterior.ladder().pass(generator, encoder, store, x, null, false);
            AmortisedPosterior.Pass vae =
                    AmortisedPosterior.independent()
                            .pass(generator, encoder, store, x, null, false);
            assertArrayEquals(mu, ladder.latents().get(0).toFloatArray(), 0f);
            assertArrayEquals(mu, vae.latents().get(0).toFloatArray(), 0f);
            AmortisedPosterior.Pass sampled =
                    AmortisedPosterior.ladder()
                            .pass(generator, encoder, store, x, RandomStream.seeded(4), false);
            assertTrue(
                    GradientCheck.relativeError(
                                    toDoubles(sampled.latents().get(0)),
                                    toDoubles(ladder.latents().get(0)))
                            > 1e-3);
        }
    }

    @Test
    void theLadderMergeNeedsGaussianPriors() {
        LadderConfig config =
                LadderConfig.builder()
                        .setZDims(4, 8)
                        .optChannels(16)
                        .optImageChannels(1)
                        .optParameterisation(Parameterisation.LADDER)
                        .build();
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator generator = new LadderGenerator(config);
            generator.initialize(manager, DataType.FLOAT32, RandomStream.seeded(1), 2);
            LadderEncoder encoder = new LadderEncoder(config);
            encoder.initialize(manager, DataType.FLOAT32, RandomStream.seeded(2), 2);
            NDArray x = manager.zeros(encoder.inputShape(2));
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            AmortisedPosterior.ladder()
                                    .pass(
                                            generator,
                                            encoder,
                                            new ParameterStore(manager, false),
                                            x,
                                            null,
                                            true));
        }
    }

    /**
     * The negative ELBO's gradients, for every parameter of the generator and the encoder, in
     * float32 against the same computation in float64, at the configurations the comparisons train
     * (L = 1 and 3, grey and RGB, 32 and 64 px) and batches 2, 16 and 64.
     */
    @Test
    void negativeElboGradientsMatchFloat64() {
        LadderConfig[] configs = {
            LadderConfig.builder().setZDims(64).optChannels(16).optImageChannels(1).build(),
            LadderConfig.builder().setZDims(16, 32, 64).optChannels(16).optImageChannels(1).build(),
            LadderConfig.builder()
                    .setZDims(10, 20)
                    .optChannels(32)
                    .optImageChannels(3)
                    .optImageSize(64)
                    .build(),
        };
        for (LadderConfig config : configs) {
            for (boolean ladder : new boolean[] {true, false}) {
                for (int batch :
                        config.getImageSize() == 64 ? new int[] {2} : new int[] {2, 16, 64}) {
                    double error =
                            elboGradientError(
                                    config,
                                    ladder
                                            ? AmortisedPosterior.ladder()
                                            : AmortisedPosterior.independent(),
                                    batch);
                    assertTrue(
                            error < GradientCheck.TOLERANCE,
                            config
                                    + (ladder ? " ladder" : " vae")
                                    + " batch "
                                    + batch
                                    + ": relative error "
                                    + error);
                }
            }
        }
    }

    private static double elboGradientError(
            LadderConfig config, AmortisedPosterior posterior, int batch) {
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator g32 = new LadderGenerator(config);
            RandomStream init = RandomStream.seeded(7);
            g32.initialize(manager, DataType.FLOAT32, init, batch);
            LadderEncoder e32 = new LadderEncoder(config);
            e32.initialize(manager, DataType.FLOAT32, init, batch);
            LadderGenerator g64 = g32.copyAs(DataType.FLOAT64, manager);
            LadderEncoder e64 = e32.copyAs(DataType.FLOAT64, manager);
            NDArray x =
                    RandomStream.seeded(8)
                            .uniform(manager, 1f, e32.inputShape(batch), DataType.FLOAT32);
            List<double[]> single = elboGradients(g32, e32, posterior, x, manager);
            List<double[]> reference =
                    elboGradients(g64, e64, posterior, x.toType(DataType.FLOAT64, false), manager);
            double worst = 0;
            for (int i = 0; i < single.size(); i++) {
                worst =
                        Math.max(
                                worst,
                                GradientCheck.relativeError(single.get(i), reference.get(i)));
            }
            return worst;
        }
    }

    /** d/dtheta of ||x - g||^2 / (2 * 0.15^2) + KL, with the same reparameterisation noise. */
    private static List<double[]> elboGradients(
            LadderGenerator generator,
            LadderEncoder encoder,
            AmortisedPosterior posterior,
            NDArray x,
            NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray images = x.duplicate();
            images.attach(scope);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                AmortisedPosterior.Pass pass =
                        posterior.pass(
                                generator,
                                encoder,
                                new ParameterStore(scope, false),
                                images,
                                RandomStream.seeded(9),
                                true);
                NDArray scale =
                        scope.full(new Shape(), 1f / (2f * 0.15f * 0.15f), images.getDataType());
                collector.backward(
                        images.sub(pass.reconstruction())
                                .square()
                                .sum()
                                .mul(scale)
                                .add(pass.kl().sum()));
            }
            List<double[]> gradients = new ArrayList<>();
            for (Block block : new Block[] {generator, encoder}) {
                for (Pair<String, Parameter> p : block.getParameters()) {
                    try (NDArray grad = p.getValue().getArray().getGradient()) {
                        gradients.add(grad.toType(DataType.FLOAT64, false).toDoubleArray());
                    }
                }
            }
            return gradients;
        }
    }

    private static double[] toDoubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }
}
