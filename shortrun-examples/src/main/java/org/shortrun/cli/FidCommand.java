package org.shortrun.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import org.shortrun.InputException;
import org.shortrun.data.ImageFiles;
import org.shortrun.data.Split;
import org.shortrun.eval.FeatureExtraction;
import org.shortrun.eval.FeatureReservoir;
import org.shortrun.eval.FeatureStatistics;
import org.shortrun.eval.FrechetDistance;
import org.shortrun.eval.InceptionNetwork;
import org.shortrun.eval.KernelInceptionDistance;
import org.shortrun.eval.StatisticsCache;
import org.shortrun.model.LadderGenerator;
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
import java.util.Random;
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
            Random random = new Random(seed);
            RealStatistics realStats =
                    RealStatistics.get(net, inception, realImages, nReal, realSide.key, noCache ? null : data.cacheDir, kid ? kidPool : 0, seed, batchSize, manager);
            StatisticsCache.Entry realEntry = realStats.entry();
            FeatureReservoir fakePool = kid ? new FeatureReservoir(kidPool, new Random(seed + 1L)) : null;
            FeatureStatistics fake;
            if (cp != null) {
                LadderGenerator generator = cp.loadGenerator(manager);
                ParameterStore store = new ParameterStore(manager, false);
                Engine.getInstance().setRandomSeed(seed);
                fake = extract(net, (scope, from, to) -> TrainJob.sample(generator, store, scope, to - from), fakeCount, batchSize, fakePool, manager, "generated");
            } else {
                fake = extract(net, fakeFiles::batch, fakeCount, batchSize, fakePool, manager, "fake");
            }
            FrechetDistance.Result fid;
            long frechetStarted = System.nanoTime();
            try {
                fid = FrechetDistance.compute(realEntry.statistics(), fake);
            } catch (ArithmeticException e) {
                throw new IllegalStateException("FID failed: " + e.getMessage(), e);
            }
            double frechetSeconds = (System.nanoTime() - frechetStarted) / 1e9;
            line.put("fid", fid.distance());
            if (kid) {
                KernelInceptionDistance.Result k =
                        KernelInceptionDistance.compute(realEntry.sample(), fakePool.rows(), kidSubsets, kidSubsetSize, random, manager);
                line.put("kid", k.mean());
                line.put("kid_std", k.std());
                line.put("kid_subsets", k.subsets());
                line.put("kid_subset_size", k.subsetSize());
            }
            line.put("fake", cp != null ? "checkpoint " + cp.getDirectory() + " at iteration " + cp.getIteration() : fakeFiles.getDirectory().toString());
            line.put("fake_count", fakeCount);
            line.put("real", realSide.description);
            line.put("real_count", nReal);
            line.put("real_cache", realStats.cacheStatus());
            line.put("inception", inception.toString());
            line.put("convention", net.getConvention().label());
            line.put("feature_dim", featureDim);
            line.put("mean_term", fid.meanTerm());
            line.put("offset_added", fid.offsetAdded());
            line.put("frechet_seconds", frechetSeconds);
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

    static FeatureStatistics extract(
            InceptionNetwork net, FeatureExtraction.Images images, int count, int batchSize, FeatureReservoir pool, NDManager manager, String what) {
        ProgressBar bar = new ProgressBar(System.err, "img");
        System.err.println("shortrun: Inception features of " + count + " " + what + " images");
        bar.start(count);
        return FeatureExtraction.statistics(net, images, count, batchSize, pool, manager, done -> bar.advance(done, ""));
    }

}
