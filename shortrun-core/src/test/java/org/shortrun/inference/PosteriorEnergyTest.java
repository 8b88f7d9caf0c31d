package org.shortrun.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinEncoder;
import org.shortrun.model.Latents;

/** The energy LAE and CLAE learn from: its terms, and its gradients against float64. */
class PosteriorEnergyTest {

    /**
     * U = ||x - g(e)||^2 / (2 sigma^2) + ||e||^2 / 2 + E(e), each term recomputed from its pieces.
     */
    @Test
    void theEnergyIsItsThreeTerms() {
        LadderConfig config =
                LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            LadderGenerator generator = new LadderGenerator(config);
            generator.initialize(manager, DataType.FLOAT32, RandomStream.seeded(1), 3);
            EnergyPrior prior = new EnergyPrior(10);
            prior.initialize(manager, DataType.FLOAT32, RandomStream.seeded(2), 3);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x =
                    RandomStream.seeded(3)
                            .uniform(
                                    manager,
                                    1f,
                                    new ai.djl.ndarray.types.Shape(3, 1, 32, 32),
                                    DataType.FLOAT32);
            NDArray e =
                    RandomStream.seeded(4).normal(manager, new ai.djl.ndarray.types.Shape(3, 10));
            NDList latents = Latents.split(e, generator.getLatentShapes());
            PosteriorEnergy u =
                    PosteriorEnergy.of(generator, store, x, latents, 0.3f, prior, false);
            float[] g = generator.forward(store, latents, false).singletonOrThrow().toFloatArray();
            float[] pixels = x.toFloatArray();
            float[] latent = e.toFloatArray();
            float[] energy = prior.energy(store, e, false).toFloatArray();
            float[] expectedError = new float[3];
            float[] expectedTotal = new float[3];
            for (int i = 0; i < 3; i++) {
                double sse = 0;
                for (int p = 0; p < 1024; p++) {
                    double r = pixels[i * 1024 + p] - g[i * 1024 + p];
                    sse += r * r;
                }
                double norm = 0;
                for (int j = 0; j < 10; j++) {
                    norm += latent[i * 10 + j] * latent[i * 10 + j];
                }
                expectedError[i] = (float) sse;
                expectedTotal[i] = (float) (sse / (2 * 0.3 * 0.3) + norm / 2 + energy[i]);
            }
            assertArrayEquals(expectedError, u.squaredError().toFloatArray(), 1e-3f);
            assertArrayEquals(expectedTotal, u.total().toFloatArray(), 1e-2f);
        }
    }

    /**
     * The gradients of the batch's summed energy at e = W h(x), for W and every parameter of the
     * generator, the encoder's trunk and the prior, in float32 against float64, at the shapes LAE
     * and CLAE train (z-dims 16,32,64, 16 channels) and batches 2 and 64.
     */
    @Test
    void gradientsMatchFloat64() {
        LadderConfig config =
                LadderConfig.builder()
                        .setZDims(16, 32, 64)
                        .optChannels(16)
                        .optImageChannels(1)
                        .build();
        for (boolean withPrior : new boolean[] {false, true}) {
            for (int batch : new int[] {2, 64}) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    RandomStream init = RandomStream.seeded(7);
                    LadderGenerator g32 = new LadderGenerator(config);
                    g32.initialize(manager, DataType.FLOAT32, init, batch);
                    LangevinEncoder e32 = new LangevinEncoder(config);
                    e32.initialize(manager, DataType.FLOAT32, init, batch);
                    EnergyPrior p32 = null;
                    if (withPrior) {
                        p32 = new EnergyPrior(e32.latentDimension());
                        p32.initialize(manager, DataType.FLOAT32, init, batch);
                    }
                    NDArray x =
                            RandomStream.seeded(8)
                                    .uniform(manager, 1f, e32.inputShape(batch), DataType.FLOAT32);
                    List<double[]> single = gradients(g32, e32, p32, x, manager);
                    List<double[]> reference =
                            gradients(
                                    g32.copyAs(DataType.FLOAT64, manager),
                                    e32.copyAs(DataType.FLOAT64, manager),
                                    p32 == null ? null : p32.copyAs(DataType.FLOAT64, manager),
                                    x.toType(DataType.FLOAT64, false),
                                    manager);
                    for (int i = 0; i < single.size(); i++) {
                        double error = GradientCheck.relativeError(single.get(i), reference.get(i));
                        assertTrue(
                                error < GradientCheck.TOLERANCE,
                                (withPrior ? "with" : "without")
                                        + " prior, batch "
                                        + batch
                                        + ", gradient "
                                        + i
                                        + ": relative error "
                                        + error);
                    }
                }
            }
        }
    }

    /** d/dtheta of sum_i U(x_i, W h(x_i)); W's gradient first. */
    private static List<double[]> gradients(
            LadderGenerator generator,
            LangevinEncoder encoder,
            EnergyPrior prior,
            NDArray x,
            NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray images = x.duplicate();
            images.attach(scope);
            ParameterStore store = new ParameterStore(scope, false);
            NDArray w = encoder.getProjection().getArray().duplicate();
            w.attach(scope);
            w.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray e = LangevinEncoder.project(encoder.features(store, images, true), w);
                collector.backward(
                        PosteriorEnergy.of(
                                        generator,
                                        store,
                                        images,
                                        Latents.split(e, generator.getLatentShapes()),
                                        0.15f,
                                        prior,
                                        true)
                                .total()
                                .sum());
            }
            List<double[]> gradients = new ArrayList<>();
            gradients.add(w.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
            List<Block> blocks = new ArrayList<>(List.of(generator, encoder));
            if (prior != null) {
                blocks.add(prior);
            }
            for (Block block : blocks) {
                for (Pair<String, Parameter> p : block.getParameters()) {
                    if (p.getValue() == encoder.getProjection()) {
                        continue;
                    }
                    try (NDArray grad = p.getValue().getArray().getGradient()) {
                        gradients.add(grad.toType(DataType.FLOAT64, false).toDoubleArray());
                    }
                }
            }
            return gradients;
        }
    }
}
