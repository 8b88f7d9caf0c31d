package org.shortrun.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.InputException;
import org.shortrun.eval.InceptionNetwork;
import org.shortrun.eval.fid.FidJob;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shortrun fid}: FID (and optionally KID) between generated or given images and real ones,
 * through a TorchScript Inception-v3 the user supplies.
 */
@Command(
        name = "fid",
        mixinStandardHelpOptions = true,
        description =
                "FID (and KID with --kid) of a checkpoint's samples or a folder of images against"
                        + " real images; prints one JSON line.")
final class FidCommand implements Callable<Integer> {

    @Option(
            names = "--checkpoint",
            paramLabel = "DIR",
            description = "Score samples from the prior of this checkpoint's model.")
    Path checkpoint;

    @Option(
            names = "--fake-dir",
            paramLabel = "DIR",
            description = "Score the PNG/JPEG images in this folder instead.")
    Path fakeDir;

    @Option(
            names = "--samples",
            paramLabel = "N",
            description =
                    "Generated images (default: 40000), or at most this many from --fake-dir"
                            + " (default: all).")
    Integer samples;

    @Option(
            names = "--real",
            paramLabel = "SPLIT|DIR",
            description = "train, test, or a folder of images (default: train).")
    String real = "train";

    @Option(
            names = "--real-count",
            paramLabel = "N",
            description =
                    "Real images, from the first (default: as many as the generated ones, at most"
                            + " all).")
    Integer realCount;

    @Mixin Options.Data data = new Options.Data();

    @Option(
            names = "--inception",
            paramLabel = "FILE",
            description =
                    "TorchScript Inception-v3: NVIDIA's inception-2015-12-05.pt or a traced"
                            + " pytorch-fid network.")
    Path inception;

    @Option(
            names = "--inception-kind",
            paramLabel = "KIND",
            description = "auto, tf-nvidia or pytorch-fid (default: auto, from the file's code).")
    String inceptionKind = "auto";

    @Option(
            names = "--feature-dim",
            paramLabel = "N",
            description = "Features per image the network must give (default: 2048, pool_3).")
    int featureDim = InceptionNetwork.POOL3_FEATURES;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Images per Inception batch (default: 50).")
    int batchSize = 50;

    @Option(names = "--kid", description = "Also compute KID (cubic-kernel MMD over subsets).")
    boolean kid;

    @Option(names = "--kid-subsets", paramLabel = "N", description = "KID subsets (default: 100).")
    int kidSubsets = 100;

    @Option(
            names = "--kid-subset-size",
            paramLabel = "N",
            description = "KID subset size (default: 1000).")
    int kidSubsetSize = 1000;

    @Option(
            names = "--kid-pool",
            paramLabel = "N",
            description =
                    "Feature vectors kept per side to draw KID subsets from (default: 10000).")
    int kidPool = 10_000;

    @Option(
            names = "--no-cache",
            description = "Neither read nor write the real images' statistics cache.")
    boolean noCache;

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Seed of the samples and of KID's subsets (default: 1).")
    int seed = 1;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws IOException {
        if ((checkpoint == null) == (fakeDir == null)) {
            throw new InputException(
                    "give exactly one of --checkpoint (to generate images) or --fake-dir (images"
                            + " made elsewhere)");
        }
        if (inception == null) {
            throw new InputException(
                    "--inception FILE is required: " + InceptionNetwork.WHERE_TO_GET);
        }
        Options.positive("--feature-dim", featureDim);
        Options.positive("--batch-size", batchSize);
        if (kid) {
            Options.positive("--kid-subsets", kidSubsets);
            Options.positive("--kid-pool", kidPool);
            if (kidSubsetSize < 2) {
                throw new InputException(
                        "--kid-subset-size must be at least 2, got " + kidSubsetSize);
            }
        }
        FidJob.Builder job =
                FidJob.builder()
                        .setInception(inception)
                        .optConvention(FidJob.parseConvention("--inception-kind", inceptionKind))
                        .optSamples(samples)
                        .setReal(data.settings(), real)
                        .optRealCount(realCount)
                        .optFeatureDim(featureDim)
                        .optBatchSize(batchSize)
                        .optCacheDirectory(noCache ? null : data.cacheDir)
                        .optSeed(seed)
                        .optProgress(new ProgressBar(System.err, "img").asProgress("shortrun: "));
        if (checkpoint != null) {
            job.setCheckpoint(checkpoint);
        } else {
            job.setFakeDirectory(fakeDir);
        }
        if (kid) {
            job.optKid(kidSubsets, kidSubsetSize, kidPool);
        }
        FidJob built = job.build();
        engine.start(data.download);
        Json.print(built.run().report());
        return 0;
    }
}
