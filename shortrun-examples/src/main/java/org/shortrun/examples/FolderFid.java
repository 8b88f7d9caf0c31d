package org.shortrun.examples;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Locale;
import org.shortrun.data.ImageFiles;
import org.shortrun.eval.fid.FeatureStatistics;
import org.shortrun.eval.fid.FrechetDistance;
import org.shortrun.eval.fid.InceptionNetwork;

/**
 * The Frechet Inception distance between two folders of images, through a TorchScript Inception-v3
 * you supply (see {@link InceptionNetwork#WHERE_TO_GET}): {@code FolderFid INCEPTION_PT DIR_A DIR_B
 * [FEATURES]}.
 */
public final class FolderFid {

    private FolderFid() {}

    /**
     * Extracts features of both folders, takes their statistics and prints the distance.
     *
     * @param args the Inception {@code .pt} file, two folders of PNG or JPEG images, and the
     *     feature size the network gives (2048, pool_3)
     */
    public static void main(String[] args) {
        if (args.length < 3) {
            throw new IllegalArgumentException(
                    "usage: FolderFid INCEPTION_PT DIR_A DIR_B [FEATURES]");
        }
        int featureDim =
                args.length > 3 ? Integer.parseInt(args[3]) : InceptionNetwork.POOL3_FEATURES;
        try (InceptionNetwork inception =
                        InceptionNetwork.load(Path.of(args[0]), null, featureDim, null);
                NDManager manager = NDManager.newBaseManager()) {
            FeatureStatistics a = statistics(inception, ImageFiles.open(Path.of(args[1])), manager);
            FeatureStatistics b = statistics(inception, ImageFiles.open(Path.of(args[2])), manager);
            FrechetDistance.Result fid = FrechetDistance.compute(a, b);
            System.out.printf(
                    Locale.ROOT,
                    "{\"fid\": %s, \"images_a\": %d, \"images_b\": %d}%n",
                    fid.distance(),
                    a.getCount(),
                    b.getCount());
        }
    }

    private static FeatureStatistics statistics(
            InceptionNetwork inception, ImageFiles images, NDManager manager) {
        try (FeatureStatistics.Accumulator accumulator =
                new FeatureStatistics.Accumulator(inception.getFeatureDim(), manager)) {
            for (int from = 0; from < images.imageCount(); from += 50) {
                int to = Math.min(images.imageCount(), from + 50);
                try (NDManager scope = manager.newSubManager()) {
                    accumulator.add(inception.features(images.batch(scope, from, to)), to - from);
                }
            }
            return accumulator.build();
        }
    }
}
