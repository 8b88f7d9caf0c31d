package org.shortrun.eval.fid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shortrun.InputException;

/** The tiny TorchScript networks of src/test/python stand in for Inception-v3. */
class InceptionNetworkTest {

    @TempDir Path dir;

    private Path copy(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + name)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /** Grey images in [-1, 1] on the 256-level grid, the pattern the python script builds. */
    static NDArray pattern(NDManager manager, int n, int h, int w) {
        float[] v = new float[n * h * w];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    v[(i * h + y) * w + x] = ((i * 7 + y * 5 + x * 11) % 256) / 127.5f - 1f;
                }
            }
        }
        return manager.create(v, new Shape(n, 1, h, w));
    }

    private void assertFeatures(String file, String key, InceptionNetwork.Convention expected)
            throws IOException {
        JsonArray rows =
                FrechetDistanceTest.fixture("tiny_inception_expected.json").getAsJsonArray(key);
        try (NDManager manager = NDManager.newBaseManager();
                InceptionNetwork net = InceptionNetwork.load(copy(file), null, 2048, null)) {
            assertEquals(expected, net.getConvention());
            float[] f = net.features(pattern(manager, 3, 32, 32));
            assertEquals(3 * 2048, f.length);
            for (int i = 0; i < 3; i++) {
                JsonArray row = rows.get(i).getAsJsonArray();
                for (int j = 0; j < row.size(); j++) {
                    float want = row.get(j).getAsFloat();
                    assertEquals(
                            want,
                            f[i * 2048 + j],
                            1e-4 * Math.max(1, Math.abs(want)),
                            key + " feature " + i + "," + j);
                }
            }
            assertEquals(
                    0,
                    manager.getManagedArrays().size() - 1,
                    "features() leaves nothing behind in the caller's manager");
        }
    }

    @Test
    void nvidiaConventionIsDetectedAndMatchesPython() throws IOException {
        assertFeatures("tiny_inception_tf.pt", "tf", InceptionNetwork.Convention.TF_NVIDIA);
    }

    @Test
    void pytorchFidConventionResizesTo299LikeTorch() throws IOException {
        assertFeatures("tiny_inception_fid.pt", "fid", InceptionNetwork.Convention.PYTORCH_FID);
    }

    private static FeatureStatistics[] realAndNoisy(InceptionNetwork net, NDManager manager) {
        try (FeatureStatistics.Accumulator a =
                        new FeatureStatistics.Accumulator(net.getFeatureDim(), manager);
                FeatureStatistics.Accumulator b =
                        new FeatureStatistics.Accumulator(net.getFeatureDim(), manager)) {
            manager.getEngine().setRandomSeed(3);
            for (int batch = 0; batch < 3; batch++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray real = pattern(scope, 8, 32, 32);
                    NDArray noisy =
                            real.add(scope.randomUniform(-0.5f, 0.5f, real.getShape())).clip(-1, 1);
                    a.add(net.features(real), 8);
                    b.add(net.features(noisy), 8);
                }
            }
            return new FeatureStatistics[] {a.build(), b.build()};
        }
    }

    @Test
    void featuresGoEndToEndIntoAFid() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                InceptionNetwork net =
                        InceptionNetwork.load(copy("tiny_inception_tf.pt"), null, 2048, null)) {
            FeatureStatistics[] s = realAndNoisy(net, manager);
            double fid = FrechetDistance.compute(s[0], s[1]).distance();
            assertTrue(fid > 0.01 && Double.isFinite(fid), "FID " + fid);
        }
        try (NDManager manager = NDManager.newBaseManager();
                InceptionNetwork net =
                        InceptionNetwork.load(copy("tiny_inception_fid64.pt"), null, 64, null)) {
            FeatureStatistics[] s = realAndNoisy(net, manager);
            double scale = org.ejml.dense.row.CommonOps_DDRM.trace(s[0].getCovariance());
            assertEquals(0, FrechetDistance.compute(s[0], s[0]).distance(), 1e-6 * scale);
            assertTrue(FrechetDistance.compute(s[0], s[1]).distance() > 1e-3 * scale);
        }
    }

    @Test
    void wrongFeatureSizeMissingAndNonTorchScriptFilesAreInputErrors() throws IOException {
        Path fid64 = copy("tiny_inception_fid64.pt");
        InputException e =
                assertThrows(
                        InputException.class, () -> InceptionNetwork.load(fid64, null, 2048, null));
        assertTrue(e.getMessage().contains("64 features"), e.getMessage());
        try (NDManager manager = NDManager.newBaseManager();
                InceptionNetwork net = InceptionNetwork.load(fid64, null, 64, null)) {
            assertEquals(2 * 64, net.features(pattern(manager, 2, 32, 32)).length);
        }
        InputException missing =
                assertThrows(
                        InputException.class,
                        () -> InceptionNetwork.load(dir.resolve("nope.pt"), null, 2048, null));
        assertTrue(missing.getMessage().contains("inception-2015-12-05.pt"), missing.getMessage());
        Path text = Files.writeString(dir.resolve("not.pt"), "hello");
        assertThrows(InputException.class, () -> InceptionNetwork.load(text, null, 2048, null));
    }
}
