package org.shortrun.examples;

import ai.djl.ndarray.NDManager;

import org.shortrun.data.ImageDataset;
import org.shortrun.data.MnistImages;
import org.shortrun.data.Split;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.Learner;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingRun;

import java.io.IOException;
import java.nio.file.Path;

/** Trains a three-layer model on MNIST and saves it: {@code TrainMnist [OUT [ITERATIONS [BATCH [MNIST_DIR]]]]}. */
public final class TrainMnist {

    private TrainMnist() {}

    /**
     * Trains and writes {@code OUT/checkpoint/}, {@code metrics.csv} and {@code config.json}.
     *
     * @param args output directory (runs/mnist), iterations (300), batch size (64), a directory
     *     of MNIST's IDX files (default: the test set embedded in shortrun-datasets, its first
     *     9,000 images)
     * @throws IOException if the run cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "runs/mnist");
        long iterations = args.length > 1 ? Long.parseLong(args[1]) : 300;
        int batchSize = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        ImageDataset train =
                args.length > 3 ? MnistImages.fromDirectory(Path.of(args[3]), Split.TRAIN, 32) : MnistImages.embedded(32).slice(0, 9_000);

        LadderConfig model = LadderConfig.builder().setZDims(16, 32, 64).optChannels(16).optImageChannels(1).build();
        LearningConfig training = LearningConfig.builder().setIterations(iterations).optBatchSize(batchSize).build();
        try (NDManager root = NDManager.newBaseManager(); Learner learner = new Learner(model, training, root)) {
            TrainingRun.builder().setLearner(learner).setSource(train).optOutput(out).build().run(root);
        }
        System.out.println("trained " + iterations + " iterations; the model is in " + out);
    }
}
