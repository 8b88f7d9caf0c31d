package org.shortrun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shortrun.cli.CommandTest.concat;
import static org.shortrun.cli.CommandTest.execute;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.RandomStream;
import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.eval.ImageGrid;
import org.shortrun.eval.Mask;
import org.shortrun.inference.PosteriorEnergy;
import org.shortrun.method.LangevinAutoencoders;
import org.shortrun.method.LatentModel;
import org.shortrun.model.EnergyPrior;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LangevinEncoder;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Latents;
import org.shortrun.training.Checkpoint;
import org.shortrun.zoo.AnomalyScores;
import org.shortrun.zoo.AnomalyTranslator;
import org.shortrun.zoo.ImageBatch;
import org.shortrun.zoo.InpaintRequest;
import org.shortrun.zoo.Inpainted;
import org.shortrun.zoo.InpaintingTranslator;
import org.shortrun.zoo.Reconstructed;
import org.shortrun.zoo.ReconstructionTranslator;
import org.shortrun.zoo.SampleRequest;
import org.shortrun.zoo.SampleTranslator;
import org.shortrun.zoo.ShortrunBlockFactory;
import org.shortrun.zoo.ShortrunModelZoo;
import org.shortrun.zoo.ShortrunModels;

/**
 * A trained run loaded through DJL's {@code Criteria} and used through {@code Predictor}s gives
 * what the commands give on the same model, images and seed.
 */
class PredictorTest {

    @TempDir static Path shared;
    static Path run;
    static Path lae;
    static Path clae;

    @BeforeAll
    static void trainOnce() {
        run = shared.resolve("run");
        CommandTest.Result r =
                execute(
                        concat(
                                concat(new String[] {"train"}, CommandTest.TINY),
                                "--iterations",
                                "3",
                                "--eval-images",
                                "16",
                                "--out",
                                run.toString()));
        assertEquals(0, r.code(), r.err());
        lae = shared.resolve("lae");
        r =
                execute(
                        concat(
                                concat(new String[] {"train", "--method", "lae"}, CommandTest.TINY),
                                "--iterations",
                                "3",
                                "--eval-images",
                                "8",
                                "--out",
                                lae.toString()));
        assertEquals(0, r.code(), r.err());
        clae = shared.resolve("clae");
        r =
                execute(
                        concat(
                                concat(
                                        new String[] {
                                            "train", "--method", "clae", "--prior-steps", "5"
                                        },
                                        CommandTest.TINY),
                                "--iterations",
                                "3",
                                "--eval-images",
                                "8",
                                "--out",
                                clae.toString()));
        assertEquals(0, r.code(), r.err());
    }

    private static JsonObject lastJson(String out) {
        List<String> lines = EvalCommandTest.lines(out);
        return JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
    }

    /** The first n held-out images the commands measure (the embedded MNIST's last 1,000). */
    private static ImageBatch testImages(int n) {
        ImageDataset test = MnistImages.embedded(32).slice(9_000, MnistImages.EMBEDDED_COUNT);
        try (NDManager manager = NDManager.newBaseManager()) {
            return ImageBatch.of(test.batch(manager, 0, n));
        }
    }

    @Test
    void reconstructionMseThroughThePredictorEqualsTheCommands(@TempDir Path dir) throws Exception {
        CommandTest.Result r =
                execute(
                        "reconstruct",
                        "--checkpoint",
                        run.toString(),
                        "--count",
                        "16",
                        "--batch-size",
                        "16",
                        "--seed",
                        "3",
                        "--threads",
                        "2",
                        "--out",
                        dir.resolve("r.png").toString());
        assertEquals(0, r.code(), r.err());
        double command = lastJson(r.out()).get("mse").getAsDouble();

        Criteria<ImageBatch, Reconstructed> criteria =
                Criteria.builder()
                        .setTypes(ImageBatch.class, Reconstructed.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .optTranslator(ReconstructionTranslator.builder().optSeed(3).build())
                        .build();
        try (ZooModel<ImageBatch, Reconstructed> model = criteria.loadModel();
                Predictor<ImageBatch, Reconstructed> predictor = model.newPredictor()) {
            Reconstructed out = predictor.predict(testImages(16));
            double predicted = out.meanMse();
            System.err.printf(
                    "reconstruction MSE: command %.17g, predictor %.17g%n", command, predicted);
            assertEquals(command, predicted, 1e-12 * command);
            assertEquals(16, out.mse().length);
            assertEquals(2, out.latents().length);
            assertEquals(4, out.latents()[0][0].length);
            assertEquals(6, out.latents()[1][15].length);
            assertEquals(16, out.reconstructions().toImages().size());
            // another seed draws other noise, so the figure can tell the seeds apart
            Reconstructed other;
            try (Predictor<ImageBatch, Reconstructed> p4 =
                    model.newPredictor(
                            ReconstructionTranslator.builder().optSeed(4).build(),
                            model.getNDManager().getDevice())) {
                other = p4.predict(testImages(16));
            }
            assertTrue(other.meanMse() != predicted);
        }
    }

    @Test
    void samplesThroughThePredictorAreTheSampleCommandsPicture(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("s.png");
        CommandTest.Result r =
                execute(
                        "sample",
                        "--checkpoint",
                        run.toString(),
                        "--count",
                        "12",
                        "--seed",
                        "5",
                        "--threads",
                        "2",
                        "--out",
                        png.toString());
        assertEquals(0, r.code(), r.err());
        Criteria<SampleRequest, ImageBatch> criteria =
                Criteria.builder()
                        .setTypes(SampleRequest.class, ImageBatch.class)
                        .optGroupId(ShortrunModels.GROUP_ID)
                        .optArgument(ShortrunModels.MODEL_PATH_ARGUMENT, run)
                        .build();
        try (ZooModel<SampleRequest, ImageBatch> model = criteria.loadModel();
                Predictor<SampleRequest, ImageBatch> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            ImageBatch samples = predictor.predict(new SampleRequest(12, 5));
            Path mine = dir.resolve("mine.png");
            ImageGrid.write(samples.toNDArray(manager), 8, mine);
            assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(mine));
            assertEquals("3", model.getProperty(ShortrunModels.ITERATION));
            assertEquals("4,6", model.getProperty(ShortrunModels.Z_DIMS));
            assertEquals("2", model.getProperty(ShortrunModels.STEPS));
            assertEquals("0.05", model.getProperty(ShortrunModels.STEP_SIZE));
            assertEquals(Float.toString(0.15f), model.getProperty(ShortrunModels.SIGMA));
        }
    }

    @Test
    void inpaintingThroughThePredictorEqualsTheCommands(@TempDir Path dir) throws Exception {
        CommandTest.Result r =
                execute(
                        "inpaint",
                        "--checkpoint",
                        run.toString(),
                        "--mask",
                        "center",
                        "--count",
                        "8",
                        "--batch-size",
                        "8",
                        "--seed",
                        "3",
                        "--threads",
                        "2",
                        "--out",
                        dir.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject line = lastJson(r.out());
        Criteria<InpaintRequest, Inpainted> criteria =
                Criteria.builder()
                        .setTypes(InpaintRequest.class, Inpainted.class)
                        .optModelZoo(ShortrunModelZoo.of(run.resolve("checkpoint")))
                        .optTranslator(InpaintingTranslator.builder().optSeed(3).build())
                        .build();
        try (ZooModel<InpaintRequest, Inpainted> model = criteria.loadModel();
                Predictor<InpaintRequest, Inpainted> predictor = model.newPredictor()) {
            Inpainted out =
                    predictor.predict(new InpaintRequest(testImages(8), Mask.CENTER, 0.5, 3));
            double occluded = mean(out.occludedMse());
            double observed = mean(out.observedMse());
            assertEquals(line.get("occluded_mse").getAsDouble(), occluded, 1e-12 * occluded);
            assertEquals(line.get("observed_mse").getAsDouble(), observed, 1e-12 * observed);
            assertEquals(8, out.inpainted().size());
        }
    }

    /**
     * A Langevin autoencoder's inference is one encoder pass, the predictor's forward pass with the
     * generator's, and {@code reconstruct} makes the same pass through the learner ({@code
     * Learner.inferLatents}): the same operations on the same parameters, so the same MSE to the
     * last bit (the per-image errors are sums divided by 1,024 pixels, a power of two, so the
     * predictor's mean of per-image means is the command's sum over all pixels exactly).
     */
    @Test
    void aLangevinAutoencodersReconstructionThroughThePredictorIsTheCommandsToTheLastBit(
            @TempDir Path dir) throws Exception {
        for (Path model : new Path[] {lae, clae}) {
            CommandTest.Result r =
                    execute(
                            "reconstruct",
                            "--checkpoint",
                            model.toString(),
                            "--count",
                            "16",
                            "--batch-size",
                            "16",
                            "--seed",
                            "3",
                            "--threads",
                            "2",
                            "--out",
                            dir.resolve("r.png").toString());
            assertEquals(0, r.code(), r.err());
            JsonObject line = lastJson(r.out());
            assertEquals(model == lae ? "lae" : "clae", line.get("inference").getAsString());
            double command = line.get("mse").getAsDouble();
            Criteria<ImageBatch, Reconstructed> criteria =
                    Criteria.builder()
                            .setTypes(ImageBatch.class, Reconstructed.class)
                            .optModelZoo(ShortrunModelZoo.of(model))
                            .build();
            try (ZooModel<ImageBatch, Reconstructed> zoo = criteria.loadModel();
                    Predictor<ImageBatch, Reconstructed> predictor = zoo.newPredictor()) {
                // the block is the latent model: the generator with the encoder (and CLAE's
                // prior) beside it
                LatentModel latent = ShortrunModels.latentModel(zoo);
                assertSame(zoo.getBlock(), latent);
                assertNotNull(latent.getState().getBlocks().get(LangevinAutoencoders.ENCODER));
                assertEquals(model == lae ? "lae" : "clae", latent.getMethod().getName());
                assertEquals(model == lae ? "lae" : "clae", zoo.getProperty(ShortrunModels.METHOD));
                assertEquals(
                        model == clae,
                        latent.getState().getBlocks().get(LangevinAutoencoders.PRIOR) != null);
                Reconstructed out = predictor.predict(testImages(16));
                System.err.printf(
                        "%s reconstruction MSE: command %.17g, predictor %.17g%n",
                        model.getFileName(), command, out.meanMse());
                assertEquals(command, out.meanMse(), 0.0);
                assertEquals(16, out.mse().length);
                assertEquals(2, out.latents().length);
                assertEquals(4, out.latents()[0][0].length);
                assertEquals(6, out.latents()[1][15].length);
                assertEquals(16, out.reconstructions().toImages().size());
                // no draws: another seed gives the same figures
                try (Predictor<ImageBatch, Reconstructed> p4 =
                        zoo.newPredictor(
                                ReconstructionTranslator.builder().optSeed(4).build(),
                                zoo.getNDManager().getDevice())) {
                    assertArrayEquals(out.mse(), p4.predict(testImages(16)).mse());
                }
            }
        }
    }

    /**
     * The anomaly score of a Langevin autoencoder's image is the posterior energy at its encoding,
     * with the energy-based prior's E(e) for clae, as computed here from the checkpoint's
     * autoencoder.
     */
    @Test
    void aLangevinAutoencodersAnomalyScoresAreThePosteriorEnergyOfItsEncoding() throws Exception {
        ImageBatch images = testImages(8);
        for (Path model : new Path[] {lae, clae}) {
            Criteria<ImageBatch, AnomalyScores> criteria =
                    Criteria.builder()
                            .setTypes(ImageBatch.class, AnomalyScores.class)
                            .optModelZoo(ShortrunModelZoo.of(model))
                            .build();
            AnomalyScores scores;
            double[] reconstructionMse;
            try (ZooModel<ImageBatch, AnomalyScores> zoo = criteria.loadModel();
                    Predictor<ImageBatch, AnomalyScores> predictor = zoo.newPredictor();
                    Predictor<ImageBatch, Reconstructed> reconstruction =
                            zoo.newPredictor(
                                    ReconstructionTranslator.builder().build(),
                                    zoo.getNDManager().getDevice())) {
                assertInstanceOf(LatentModel.class, zoo.getBlock());
                assertInstanceOf(
                        LangevinAutoencoders.class, ShortrunModels.latentModel(zoo).getMethod());
                scores = predictor.predict(images);
                reconstructionMse = reconstruction.predict(images).mse();
            }
            Checkpoint cp = Checkpoint.read(model);
            try (NDManager manager = NDManager.newBaseManager()) {
                // the encoder's pass and the generator's, by hand from the checkpoint's blocks
                LatentModel loaded = cp.loadModel(manager);
                ParameterStore store = loaded.getParameterStore();
                LatentGenerator generator = loaded.getGenerator();
                LangevinEncoder encoder =
                        (LangevinEncoder)
                                loaded.getState().getBlocks().get(LangevinAutoencoders.ENCODER);
                EnergyPrior prior =
                        (EnergyPrior) loaded.getState().getBlocks().get(LangevinAutoencoders.PRIOR);
                NDArray x = images.toNDArray(manager);
                NDArray e = encoder.forward(store, new NDList(x), false).singletonOrThrow();
                NDList latents = Latents.split(e, generator.getLatentShapes());
                NDArray reconstruction =
                        generator.forward(store, latents, false).singletonOrThrow();
                PosteriorEnergy energy =
                        PosteriorEnergy.of(
                                x, reconstruction, latents, cp.getSigma(), prior, store, false);
                assertArrayEquals(energy.total().toFloatArray(), scores.scores(), model.toString());
                float[] squared = energy.squaredError().toFloatArray();
                for (int i = 0; i < 8; i++) {
                    assertEquals(squared[i] / 1024f, scores.mse()[i], 1e-6f * scores.mse()[i]);
                    assertEquals((float) reconstructionMse[i], scores.mse()[i]);
                }
                if (model == clae) {
                    // E(e) is part of the score
                    float[] withoutPrior =
                            PosteriorEnergy.of(
                                            x,
                                            reconstruction,
                                            latents,
                                            cp.getSigma(),
                                            null,
                                            store,
                                            false)
                                    .total()
                                    .toFloatArray();
                    assertFalse(java.util.Arrays.equals(withoutPrior, scores.scores()));
                }
            }
            assertEquals(8, scores.size());
        }
    }

    /**
     * A short-run model's anomaly score is the posterior energy at the latents short-run inference
     * gives from the seed's draws, the same latents as the reconstruction translator's.
     */
    @Test
    void aShortRunModelsAnomalyScoresAreThePosteriorEnergyOfItsShortRunLatents() throws Exception {
        ImageBatch images = testImages(8);
        Criteria<ImageBatch, AnomalyScores> criteria =
                Criteria.builder()
                        .setTypes(ImageBatch.class, AnomalyScores.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .optTranslator(AnomalyTranslator.builder().optSeed(3).build())
                        .build();
        AnomalyScores scores;
        Reconstructed reconstructed;
        try (ZooModel<ImageBatch, AnomalyScores> zoo = criteria.loadModel();
                Predictor<ImageBatch, AnomalyScores> predictor = zoo.newPredictor();
                Predictor<ImageBatch, Reconstructed> reconstruction =
                        zoo.newPredictor(
                                ReconstructionTranslator.builder().optSeed(3).build(),
                                zoo.getNDManager().getDevice())) {
            // the block is the latent model: the ladder generator, nothing beside it
            LatentModel latent = ShortrunModels.latentModel(zoo);
            assertInstanceOf(LadderGenerator.class, latent.getGenerator());
            assertTrue(latent.getState().getBlocks().isEmpty());
            assertTrue(latent.infersByLangevin());
            assertEquals("shortrun", zoo.getProperty(ShortrunModels.METHOD));
            scores = predictor.predict(images);
            reconstructed = reconstruction.predict(images);
        }
        Checkpoint cp = Checkpoint.read(run);
        try (NDManager manager = NDManager.newBaseManager()) {
            LatentGenerator generator = cp.loadGenerator(manager);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x = images.toNDArray(manager);
            NDList latents =
                    cp.getLangevin()
                            .infer(
                                    generator,
                                    store,
                                    x,
                                    null,
                                    cp.getSigma(),
                                    false,
                                    RandomStream.seeded(3))
                            .getLatents();
            PosteriorEnergy energy =
                    PosteriorEnergy.of(generator, store, x, latents, cp.getSigma(), null, false);
            assertArrayEquals(energy.total().toFloatArray(), scores.scores());
        }
        for (int i = 0; i < 8; i++) {
            assertEquals((float) reconstructed.mse()[i], scores.mse()[i]);
        }
        // the registered factory's translator takes the seed as an argument
        Criteria<ImageBatch, AnomalyScores> seeded =
                Criteria.builder()
                        .setTypes(ImageBatch.class, AnomalyScores.class)
                        .optGroupId(ShortrunModels.GROUP_ID)
                        .optArgument(ShortrunModels.MODEL_PATH_ARGUMENT, run)
                        .optArgument("seed", 3)
                        .build();
        try (ZooModel<ImageBatch, AnomalyScores> zoo = seeded.loadModel();
                Predictor<ImageBatch, AnomalyScores> predictor = zoo.newPredictor()) {
            assertEquals(scores, predictor.predict(images));
        }
    }

    /**
     * A Langevin autoencoder samples through the predictor as {@code sample} does: LAE from N(0,
     * I), CLAE from its energy-based prior; the block is the latent model whatever the model was
     * loaded for.
     */
    @Test
    void aLangevinAutoencoderSamplesThroughThePredictor(@TempDir Path dir) throws Exception {
        for (Path model : new Path[] {lae, clae}) {
            String name = model == lae ? "lae" : "clae";
            Path png = dir.resolve(name + "-s.png");
            CommandTest.Result r =
                    execute(
                            "sample",
                            "--checkpoint",
                            model.toString(),
                            "--count",
                            "8",
                            "--seed",
                            "5",
                            "--threads",
                            "2",
                            "--out",
                            png.toString());
            assertEquals(0, r.code(), r.err());
            Criteria<SampleRequest, ImageBatch> criteria =
                    Criteria.builder()
                            .setTypes(SampleRequest.class, ImageBatch.class)
                            .optModelZoo(ShortrunModelZoo.of(model))
                            .build();
            try (ZooModel<SampleRequest, ImageBatch> zoo = criteria.loadModel();
                    Predictor<SampleRequest, ImageBatch> predictor = zoo.newPredictor();
                    NDManager manager = NDManager.newBaseManager()) {
                assertInstanceOf(LatentModel.class, zoo.getBlock());
                assertEquals(name, ShortrunModels.latentModel(zoo).getMethod().getName());
                assertEquals(name, zoo.getProperty(ShortrunModels.METHOD));
                ImageBatch samples = predictor.predict(new SampleRequest(8, 5));
                Path mine = dir.resolve(name + "-mine.png");
                ImageGrid.write(samples.toNDArray(manager), 8, mine);
                assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(mine), name);
            }
            // loaded for images, its block is the same latent model, which samples alike
            Criteria<ImageBatch, Reconstructed> forImages =
                    Criteria.builder()
                            .setTypes(ImageBatch.class, Reconstructed.class)
                            .optModelZoo(ShortrunModelZoo.of(model))
                            .build();
            try (ZooModel<ImageBatch, Reconstructed> zoo = forImages.loadModel();
                    Predictor<SampleRequest, ImageBatch> predictor =
                            zoo.newPredictor(
                                    SampleTranslator.builder().build(),
                                    zoo.getNDManager().getDevice());
                    NDManager manager = NDManager.newBaseManager()) {
                assertInstanceOf(LatentModel.class, zoo.getBlock());
                ImageBatch samples = predictor.predict(new SampleRequest(8, 5));
                Path mine = dir.resolve(name + "-images.png");
                ImageGrid.write(samples.toNDArray(manager), 8, mine);
                assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(mine), name);
            }
        }
    }

    @Test
    void optModelPathLoadsThroughDjlsOwnLoaderWithTheBlockFactory() throws Exception {
        Criteria<ImageBatch, Reconstructed> criteria =
                Criteria.builder()
                        .setTypes(ImageBatch.class, Reconstructed.class)
                        .optModelPath(run)
                        .optArgument("blockFactory", ShortrunBlockFactory.class.getName())
                        .optOption("hasParameter", "false")
                        .optTranslator(
                                ReconstructionTranslator.builder().optSeed(3).optSteps(1).build())
                        .build();
        Criteria<ImageBatch, Reconstructed> zoo =
                Criteria.builder()
                        .setTypes(ImageBatch.class, Reconstructed.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .optTranslator(
                                ReconstructionTranslator.builder().optSeed(3).optSteps(1).build())
                        .build();
        ImageBatch images = testImages(4);
        try (ZooModel<ImageBatch, Reconstructed> a = criteria.loadModel();
                ZooModel<ImageBatch, Reconstructed> b = zoo.loadModel();
                Predictor<ImageBatch, Reconstructed> pa = a.newPredictor();
                Predictor<ImageBatch, Reconstructed> pb = b.newPredictor()) {
            assertEquals("3", a.getProperty(ShortrunModels.ITERATION));
            assertArrayEquals(pb.predict(images).mse(), pa.predict(images).mse());
        }
    }

    @Test
    void aDirectoryWithoutACheckpointOrADamagedOneIsRefused(@TempDir Path dir) throws Exception {
        Criteria<SampleRequest, ImageBatch> empty =
                Criteria.builder()
                        .setTypes(SampleRequest.class, ImageBatch.class)
                        .optModelZoo(ShortrunModelZoo.of(dir))
                        .build();
        ModelNotFoundException missing =
                assertThrows(ModelNotFoundException.class, empty::loadModel);
        // Criteria.loadModel wraps what the last loader said
        assertTrue(
                missing.getCause().getMessage().contains("no shortrun checkpoint in " + dir),
                missing.getCause().getMessage());

        Path damaged = dir.resolve("damaged");
        CommandTest.copyTree(run, damaged);
        Files.write(damaged.resolve("checkpoint").resolve("parameters.bin"), new byte[] {1, 2, 3});
        Criteria<SampleRequest, ImageBatch> broken =
                Criteria.builder()
                        .setTypes(SampleRequest.class, ImageBatch.class)
                        .optModelZoo(ShortrunModelZoo.of(damaged))
                        .build();
        MalformedModelException e = assertThrows(MalformedModelException.class, broken::loadModel);
        assertTrue(
                e.getMessage()
                        .contains(
                                "parameters.bin is damaged: it does not match the SHA-256 recorded"
                                        + " in state.json"),
                e.getMessage());
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
