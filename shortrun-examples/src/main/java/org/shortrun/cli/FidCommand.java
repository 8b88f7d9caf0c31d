package org.shortrun.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.shortrun.eval.fid.FidJob;
import org.shortrun.eval.fid.InceptionNetwork;
import org.shortrun.training.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shortrun fid}: FID (and KID) through a TorchScript Inception-v3 the user supplies. */
@Command(name = "fid", mixinStandardHelpOptions = true, showDefaultValues = true)
final class FidCommand implements Callable<Integer> {

    @Mixin Options.Data data = new Options.Data();
    @Mixin Options.Engine engine = new Options.Engine();

    @Option(names = "--checkpoint", paramLabel = "DIR")
    Path checkpoint;

    @Option(names = "--fake-dir", paramLabel = "DIR")
    Path fakeDir;

    @Option(names = "--samples", paramLabel = "N")
    Integer samples;

    @Option(names = "--real", paramLabel = "SPLIT|DIR")
    String real = "train";

    @Option(names = "--real-count", paramLabel = "N")
    Integer realCount;

    @Option(names = "--inception", paramLabel = "FILE")
    Path inception;

    @Option(names = "--inception-kind", paramLabel = "KIND")
    String inceptionKind = "auto";

    @Option(names = "--feature-dim", paramLabel = "N")
    int featureDim = InceptionNetwork.POOL3_FEATURES;

    @Option(names = "--batch-size", paramLabel = "N")
    int batchSize = 50;

    @Option(names = "--kid")
    boolean kid;

    @Option(names = "--kid-subsets", paramLabel = "N")
    int kidSubsets = 100;

    @Option(names = "--kid-subset-size", paramLabel = "N")
    int kidSubsetSize = 1000;

    @Option(names = "--kid-pool", paramLabel = "N")
    int kidPool = 10_000;

    @Option(names = "--no-cache")
    boolean noCache;

    @Option(names = "--seed", paramLabel = "N")
    int seed = 1;

    @Override
    public Integer call() throws IOException {
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
                        .setCheckpoint(checkpoint)
                        .setFakeDirectory(fakeDir)
                        .optProgress(new ProgressBar(System.err, "img").asProgress("shortrun: "));
        if (kid) {
            job.optKid(kidSubsets, kidSubsetSize, kidPool);
        }
        FidJob built = Options.inputError(job::build);
        engine.start(data.download);
        Json.print(built.run(engine.device()).report());
        return 0;
    }
}
