package org.shortrun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.shortrun.RandomStream;
import org.shortrun.engine.GradientCheck;

/**
 * The Langevin autoencoder's encoder: its output is W h(x), split by layer; its gradients match
 * float64.
 */
class LangevinEncoderTest {

    /**
     * The encoder's gradients, for the images and every parameter (W included), against float64 at
     * the shapes LAE trains.
     */
    @Test
    void gradientsMatchFloat64() {
        LadderConfig[] configs = {
            LadderConfig.builder().setZDims(16, 32, 64).optChannels(16).optImageChannels(1).build(),
            LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build(),
            LadderConfig.builder()
                    .setZDims(10, 20)
                    .optChannels(32)
                    .optImageChannels(3)
                    .optImageSize(64)
                    .build(),
        };
        for (LadderConfig config : configs) {
            for (int batch : config.getImageSize() == 64 ? new int[] {2} : new int[] {2, 64}) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    LangevinEncoder single = new LangevinEncoder(config);
                    single.initialize(manager, DataType.FLOAT32, RandomStream.seeded(4), batch);
                    LangevinEncoder reference = single.copyAs(DataType.FLOAT64, manager);
                    GradientCheck.Result r =
                            GradientCheck.compare(
                                    single,
                                    reference,
                                    new Shape[] {single.inputShape(batch)},
                                    17L + batch,
                                    manager);
                    assertTrue(r.agrees(), config + " batch " + batch + ": " + r);
                }
            }
        }
    }

    /**
     * The dense trunk's gradients, for the images and every parameter (W included), against float64
     * for a user's MNIST decoder, batch 2 and 64.
     */
    @Test
    void theDenseTrunksGradientsMatchFloat64() {
        for (int batch : new int[] {2, 64}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                BlockGenerator generator =
                        BlockGenerator.of(LangevinEncoderTest::mlp, new Shape(6));
                LangevinEncoder single = LangevinEncoder.of(generator);
                single.initialize(manager, DataType.FLOAT32, RandomStream.seeded(4), batch);
                LangevinEncoder reference = single.copyAs(DataType.FLOAT64, manager);
                assertEquals(new Shape(batch, 1, 28, 28), single.inputShape(batch));
                GradientCheck.Result r =
                        GradientCheck.compare(
                                single,
                                reference,
                                new Shape[] {single.inputShape(batch)},
                                17L + batch,
                                manager);
                assertTrue(r.agrees(), "dense trunk batch " + batch + ": " + r);
            }
        }
    }

    /** A user's MNIST decoder with Linear layers only. */
    static Block mlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(64).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(28 * 28).build())
                .add(Activation::tanh)
                .addSingleton(x -> x.reshape(-1, 1, 28, 28));
    }

    /** The output is h W^T, and split gives each layer's columns, top first. */
    @Test
    void theOutputIsTheProjectionOfTheFeaturesSplitByLayer() {
        LadderConfig config =
                LadderConfig.builder().setZDims(4, 6).optChannels(16).optImageChannels(1).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            LangevinEncoder encoder = new LangevinEncoder(config);
            encoder.initialize(manager, DataType.FLOAT32, RandomStream.seeded(2), 3);
            assertEquals(10, encoder.latentDimension());
            assertEquals(
                    new Shape(10, LangevinEncoder.FEATURES),
                    encoder.getProjection().getArray().getShape());
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x =
                    RandomStream.seeded(3)
                            .uniform(manager, 1f, encoder.inputShape(3), DataType.FLOAT32);
            NDArray e = encoder.forward(store, new NDList(x), false).singletonOrThrow();
            float[] h = encoder.features(store, x, false).toFloatArray();
            float[] w = encoder.getProjection().getArray().toFloatArray();
            float[] expected = new float[3 * 10];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 10; j++) {
                    double sum = 0;
                    for (int f = 0; f < LangevinEncoder.FEATURES; f++) {
                        sum +=
                                (double) h[i * LangevinEncoder.FEATURES + f]
                                        * w[j * LangevinEncoder.FEATURES + f];
                    }
                    expected[i * 10 + j] = (float) sum;
                }
            }
            assertArrayEquals(expected, e.toFloatArray(), 1e-4f);
            NDList layers = Latents.split(e, new LadderGenerator(config).getLatentShapes());
            assertEquals(new Shape(3, 4), layers.get(0).getShape());
            assertEquals(new Shape(3, 6), layers.get(1).getShape());
            float[] all = e.toFloatArray();
            assertEquals(all[4], layers.get(1).toFloatArray()[0], 0f);
            assertEquals(all[3], layers.get(0).toFloatArray()[3], 0f);
            assertEquals(all[14], layers.get(1).toFloatArray()[6], 0f);
        }
    }
}
