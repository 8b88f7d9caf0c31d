package org.shortrun.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import org.shortrun.InputException;
import org.shortrun.data.ImageFiles;
import org.shortrun.data.Split;
import org.shortrun.eval.InceptionNetwork;
import org.shortrun.eval.fid.FidEvaluation;
import org.shortrun.eval.fid.GeneratorImages;
import org.shortrun.training.Checkpoint;
import org.shortrun.training.ImageSource;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code shortrun fid}: FID (and optionally KID) between generated or given images and real
 * ones, through a TorchScript Inception-v3 the user supplies.
 */
@Command(
        name = "fid",
        mixinStandardHelpOptions = true,
        description = "FID (and KID with --kid) of a checkpoint's samples or a folder of images against real images; prints one JSON line.")
final class FidCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Score samples from the prior of this checkpoint's model.")
    Path checkpoint;

    @Option(names = "--fake-dir", paramLabel = "DIR", description = "Score the PNG/JPEG images in this folder instead.")
    Path fakeDir;

    @Option(names = "--samples", paramLabel = "N", description = "Generated images (default: 40000), or at most this many from --fake-dir (default: all).")
    Integer samples;

    @Option(names = "--real", paramLabel = "SPLIT|DIR", description = "train, test, or a folder of images (default: train).")
    String real = "train";

    @Option(names = "--real-count", paramLabel = "N", description = "Real images, from the first (default: as many as the generated ones, at most all).")
    Integer realCount;

    @Mixin Options.Data data = new Options.Data();

    @Option(names = "--inception", paramLabel = "FILE", description = "TorchScript Inception-v3: NVIDIA's inception-2015-12-05.pt or a traced pytorch-fid network.")
    Path inception;

    @Option(names = "--inception-kind", paramLabel = "KIND", description = "auto, tf-nvidia or pytorch-fid (default: auto, from the file's code).")
    String inceptionKind = "auto";

    @Option(names = "--feature-dim", paramLabel = "N", description = "Features per image the network must give (default: 2048, pool_3).")
    int featureDim = InceptionNetwork.POOL3_FEATURES;

    @Option(names = "--batch-size", paramLabel = "N", description = "Images per Inception batch (default: 50).")
    int batchSize = 50;

    @Option(names = "--kid", description = "Also compute KID (cubic-kernel MMD over subsets).")
    boolean kid;

    @Option(names = "--kid-subsets", paramLabel = "N", description = "KID subsets (default: 100).")
    int kidSubsets = 100;

    @Option(names = "--kid-subset-size", paramLabel = "N", description = "KID subset size (default: 1000).")
    int kidSubsetSize = 1000;

    @Option(names = "--kid-pool", paramLabel = "N", description = "Feature vectors kept per side to draw KID subsets from (default: 10000).")
    int kidPool = 10_000;

    @Option(names = "--no-cache", description = "Neither read nor write the real images' statistics cache.")
    boolean noCache;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the samples and of KID's subsets (default: 1).")
    int seed = 1;

    @Mixin Options.Engine engine = new Options.Engine();

    @Override
    public Integer call() throws IOException {
        if ((checkpoint == null) == (fakeDir == null)) {
            throw new InputException("give exactly one of --checkpoint (to generate images) or --fake-dir (images made elsewhere)");
        }
        if (inception == null) {
            throw new InputException("--inception FILE is required: " + InceptionNetwork.WHERE_TO_GET);
        }
        Options.positive("--feature-dim", featureDim);
        Options.positive("--batch-size", batchSize);
        if (kid) {
            Options.positive("--kid-subsets", kidSubsets);
            Options.positive("--kid-pool", kidPool);
            if (kidSubsetSize < 2) {
                throw new InputException("--kid-subset-size must be at least 2, got " + kidSubsetSize);
            }
        }
        InceptionNetwork.Convention convention = convention();
        Checkpoint cp = checkpoint != null ? Checkpoint.read(checkpoint) : null;
        ImageFiles fakeFiles = fakeDir != null ? ImageFiles.open(fakeDir) : null;
        if (fakeFiles != null && fakeFiles.imageShape().get(1) != fakeFiles.imageShape().get(2)) {
            throw new InputException(fakeDir + " holds " + fakeFiles.imageShape().get(2) + "x" + fakeFiles.imageShape().get(1) + " images; they must be square");
        }
        int fakeCount = cp != null ? Options.orElse(samples, 40_000) : Math.min(Options.orElse(samples, Integer.MAX_VALUE), fakeFiles.imageCount());
        if (fakeCount < 2) {
            throw new InputException("FID needs at least 2 generated images, got " + fakeCount);
        }
        int side = cp != null ? cp.getModelConfig().getImageSize() : (int) fakeFiles.imageShape().get(1);
        RealSide realSide = realSide(cp, side, fakeFiles);
        engine.start(data.download);
        ImageSource realImages = realSide.load();
        int nReal = Math.min(Options.orElse(realCount, fakeCount), realImages.imageCount());
        if (nReal < 2) {
            throw new InputException("FID needs at least 2 real images, got " + nReal);
        }
        long started = System.nanoTime();
        Map<String, Object> line = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager();
                InceptionNetwork net = InceptionNetwork.load(inception, convention, featureDim)) {
            FidEvaluation.Builder fid = FidEvaluation.builder()
                    .setNetwork(net, inception)
                    .setReal(realImages::batch, nReal, realSide.key)
                    .optCacheDirectory(noCache ? null : data.cacheDir)
                    .optSeed(seed)
                    .optBatchSize(batchSize)
                    .optProgress(new FeatureProgress(System.err));
            if (cp != null) {
                fid.setFake(new GeneratorImages(cp.loadGenerator(manager), new ParameterStore(manager, false), seed), fakeCount, "generated");
            } else {
                fid.setFake(fakeFiles::batch, fakeCount, "fake");
            }
            if (kid) {
                fid.optKid(kidSubsets, kidSubsetSize, kidPool);
            }
            FidEvaluation.Result result = fid.build().compute(manager);
            line.put("fid", result.fid().distance());
            if (kid) {
                line.put("kid", result.kid().mean());
                line.put("kid_std", result.kid().std());
                line.put("kid_subsets", result.kid().subsets());
                line.put("kid_subset_size", result.kid().subsetSize());
            }
            line.put("fake", cp != null ? "checkpoint " + cp.getDirectory() + " at iteration " + cp.getIteration() : fakeFiles.getDirectory().toString());
            line.put("fake_count", fakeCount);
            line.put("real", realSide.description);
            line.put("real_count", nReal);
            line.put("real_cache", result.realCache());
            line.put("inception", inception.toString());
            line.put("convention", net.getConvention().label());
            line.put("feature_dim", featureDim);
            line.put("mean_term", result.fid().meanTerm());
            line.put("offset_added", result.fid().offsetAdded());
            line.put("frechet_seconds", result.frechetSeconds());
            line.put("seconds", (System.nanoTime() - started) / 1e9);
        }
        Json.print(line);
        return 0;
    }

    private InceptionNetwork.Convention convention() {
        switch (inceptionKind.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "auto":
                return null;
            case "tf-nvidia":
                return InceptionNetwork.Convention.TF_NVIDIA;
            case "pytorch-fid":
                return InceptionNetwork.Convention.PYTORCH_FID;
            default:
                throw new InputException("--inception-kind must be auto, tf-nvidia or pytorch-fid, got '" + inceptionKind + "'");
        }
    }

    /** The real images: a split of --dataset, or a folder. */
    private record RealSide(String description, String key, java.util.function.Supplier<ImageSource> loader) {
        ImageSource load() {
            return loader.get();
        }
    }

    private RealSide realSide(Checkpoint cp, int side, ImageFiles fakeFiles) {
        String lower = real.toLowerCase(Locale.ROOT);
        if (lower.equals("train") || lower.equals("test")) {
            Split split = lower.equals("train") ? Split.TRAIN : Split.TEST;
            data.validate();
            if (cp != null) {
                data.checkModel(cp.getModelConfig());
            } else {
                data.checkImageSize(side, fakeFiles.getDirectory() + " holds");
            }
            return new RealSide(data.name() + " " + lower, data.cacheKey(split, side), () -> data.load(split, side));
        }
        Path dir = Path.of(real);
        if (!Files.isDirectory(dir)) {
            throw new InputException("--real must be train, test or a folder of images; " + real + " is none of these");
        }
        ImageFiles files = ImageFiles.open(dir);
        long realSize = files.imageShape().get(1);
        if (realSize != side || files.imageShape().get(2) != side) {
            throw new InputException(
                    (cp != null ? "the checkpoint generates " + side + "x" + side : fakeFiles.getDirectory() + " holds " + side + "-pixel")
                            + " images but " + dir + " holds " + files.imageShape().get(2) + "x" + realSize + " ones");
        }
        return new RealSide(dir.toString(), files.cacheKey(), () -> files);
    }

}
