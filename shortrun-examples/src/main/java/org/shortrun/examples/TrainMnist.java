package org.shortrun.examples;

import ai.djl.training.dataset.Dataset;
import ai.djl.training.util.ProgressBar;
import java.io.IOException;
import java.nio.file.Path;
import org.shortrun.data.MnistDataset;
import org.shortrun.model.LadderConfig;
import org.shortrun.training.LearningConfig;
import org.shortrun.training.TrainingJob;

/**
 * Trains a three-layer model on MNIST and saves it: {@code TrainMnist [OUT [ITERATIONS [BATCH
 * [MNIST_DIR]]]]}.
 */
public final class TrainMnist {

    private TrainMnist() {}

    /**
     * Trains and writes {@code OUT/checkpoint/}, {@code config.json} and {@code metrics.csv}.
     *
     * @param args output directory (runs/mnist), iterations (300), batch size (64), a directory of
     *     MNIST's IDX files (default: the test set embedded in shortrun-datasets, its first 9,000
     *     images)
     * @throws IOException if the run cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "runs/mnist");
        long iterations = args.length > 1 ? Long.parseLong(args[1]) : 300;
        int batchSize = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        MnistDataset train =
                MnistDataset.builder()
                        .optUsage(Dataset.Usage.TRAIN)
                        .optDirectory(args.length > 3 ? Path.of(args[3]) : null)
                        .optImageSize(32)
                        .build();
        train.prepare(new ProgressBar());

        LadderConfig model =
                LadderConfig.builder()
                        .setZDims(16, 32, 64)
                        .optChannels(16)
                        .optImageChannels(1)
                        .build();
        LearningConfig learning =
                LearningConfig.builder().setIterations(iterations).optBatchSize(batchSize).build();
        try (TrainingJob job =
                TrainingJob.builder()
                        .setModel(model)
                        .setLearning(learning)
                        .setTrainImages(train)
                        .optOutput(out)
                        .optEngineCheck(check -> System.err.println(check.describe()))
                        .build()) {
            job.train();
        }
        System.out.println("trained " + iterations + " iterations; the model is in " + out);
    }
}
