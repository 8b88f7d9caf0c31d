package com.example;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.eval.Mask;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingJob;
import org.shortrun.zoo.ImageBatch;
import org.shortrun.zoo.InpaintRequest;
import org.shortrun.zoo.Inpainted;
import org.shortrun.zoo.Reconstructed;
import org.shortrun.zoo.SampleRequest;
import org.shortrun.zoo.ShortrunModelZoo;

import java.nio.file.Files;
import java.nio.file.Path;

/** Trains 20 iterations, saves, loads through Criteria, and samples, reconstructs and inpaints. */
public final class Main {

    private Main() {}

    /**
     * Runs the whole round trip in a temporary directory.
     *
     * @param args ignored
     * @throws Exception if anything fails
     */
    public static void main(String[] args) throws Exception {
        Path run = Files.createTempDirectory("shortrun-standalone").resolve("run");
        ImageDataset mnist = MnistImages.embedded(32);

        LadderConfig config =
                LadderConfig.builder()
                        .setZDims(16, 32, 64)
                        .optChannels(16)
                        .optImageChannels(1)
                        .build();
        LearningConfig training =
                LearningConfig.builder().setIterations(20).optBatchSize(16).build();
        try (TrainingJob job =
                TrainingJob.builder()
                        .setModel(config)
                        .setLearning(training)
                        .setTrainImages(mnist.slice(0, 9_000))
                        .optOutput(run)
                        .build()) {
            job.train();
        }

        ImageBatch images;
        try (NDManager manager = NDManager.newBaseManager()) {
            images = ImageBatch.of(mnist.slice(9_000, 10_000).batch(manager, 0, 8));
        }
        Criteria<SampleRequest, ImageBatch> sampling =
                Criteria.builder()
                        .setTypes(SampleRequest.class, ImageBatch.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .build();
        Criteria<ImageBatch, Reconstructed> reconstruction =
                Criteria.builder()
                        .setTypes(ImageBatch.class, Reconstructed.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .optArgument("seed", 1)
                        .build();
        Criteria<InpaintRequest, Inpainted> inpainting =
                Criteria.builder()
                        .setTypes(InpaintRequest.class, Inpainted.class)
                        .optModelZoo(ShortrunModelZoo.of(run))
                        .optArgument("seed", 1)
                        .build();
        try (ZooModel<SampleRequest, ImageBatch> model = sampling.loadModel();
                Predictor<SampleRequest, ImageBatch> sampler = model.newPredictor();
                ZooModel<ImageBatch, Reconstructed> reconstructionModel =
                        reconstruction.loadModel();
                Predictor<ImageBatch, Reconstructed> reconstructor =
                        reconstructionModel.newPredictor();
                ZooModel<InpaintRequest, Inpainted> inpaintingModel = inpainting.loadModel();
                Predictor<InpaintRequest, Inpainted> inpainter = inpaintingModel.newPredictor()) {
            System.out.println(
                    "iteration "
                            + model.getProperty("iteration")
                            + ", K "
                            + model.getProperty("steps")
                            + ", s "
                            + model.getProperty("stepSize"));
            System.out.println(
                    "samples: "
                            + sampler.predict(new SampleRequest(4, 1)).toImages().size()
                            + " images");
            System.out.println("reconstruction mse: " + reconstructor.predict(images).meanMse());
            Inpainted inpainted =
                    inpainter.predict(new InpaintRequest(images, Mask.CENTER, 0.5, 1));
            System.out.println(
                    "inpainting, first image's occluded mse: " + inpainted.occludedMse()[0]);
        }
    }
}
