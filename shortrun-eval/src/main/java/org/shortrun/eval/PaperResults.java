package org.shortrun.eval;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The numbers Nijkamp et al. (ECCV 2020) report in Tables 1 to 3, for printing beside ours. MSE is
 * per pixel; FID uses 40,000 generated and 40,000 training images. Every entry is at K = 25 except
 * Table 3's K sweep (CelebA 32 x 32, L = 5).
 */
public final class PaperResults {

    /**
     * One reported cell; either number may be absent (NaN).
     *
     * @param mse reconstruction MSE
     * @param fid FID
     * @param table where it is reported
     */
    public record Entry(double mse, double fid, String table) {}

    private static final Map<String, Entry> ENTRIES = new HashMap<>();

    static {
        double[] layers = {1, 3, 5};
        double[][] shortRun = {
            {0.019, 0.017, 0.015}, // MNIST MSE
            {0.018, 0.015, 0.011},
            {44.86, 39.02, 35.23}, // SVHN MSE, FID
            {0.019, 0.018, 0.011},
            {45.74, 41.15, 36.84} // CelebA MSE, FID
        };
        double[][] ladderVae = {
            {0.020, 0.018, 0.018},
            {0.019, 0.015, 0.014},
            {46.78, 41.72, 39.26},
            {0.031, 0.029, 0.028},
            {69.90, 58.33, 53.40}
        };
        for (int i = 0; i < layers.length; i++) {
            int l = (int) layers[i];
            put("mnist", 32, l, 25, "short-run", shortRun[0][i], Double.NaN, "Table 1");
            put("svhn", 32, l, 25, "short-run", shortRun[1][i], shortRun[2][i], "Table 1");
            put("celeba", 32, l, 25, "short-run", shortRun[3][i], shortRun[4][i], "Table 1");
            put("mnist", 32, l, 25, "ladder-vae", ladderVae[0][i], Double.NaN, "Table 1");
            put("svhn", 32, l, 25, "ladder-vae", ladderVae[1][i], ladderVae[2][i], "Table 1");
            put("celeba", 32, l, 25, "ladder-vae", ladderVae[3][i], ladderVae[4][i], "Table 1");
        }
        put("svhn", 32, 3, 25, "glow", Double.NaN, 65.27, "Table 1");
        put("celeba", 32, 3, 25, "glow", Double.NaN, 39.84, "Table 1");
        String[] methods = {"abp", "glo", "vae", "vae-iaf"};
        double[][] table2 = {{49.71, 51.50}, {65.52, 50.70}, {46.78, 69.90}, {50.41, 53.78}};
        for (int m = 0; m < methods.length; m++) {
            put("svhn", 32, 1, 25, methods[m], Double.NaN, table2[m][0], "Table 2");
            put("celeba", 32, 1, 25, methods[m], Double.NaN, table2[m][1], "Table 2");
        }
        double[] mse64 = {0.020, 0.018, 0.015};
        double[] fid64 = {61.03, 52.19, 47.95};
        for (int i = 0; i < layers.length; i++) {
            put("celeba", 64, (int) layers[i], 25, "short-run", mse64[i], fid64[i], "Table 3");
        }
        int[] steps = {5, 10, 50, 400};
        double[] mseK = {0.045, 0.037, 0.010, 0.010};
        double[] fidK = {82.79, 67.38, 35.39, 35.16};
        for (int i = 0; i < steps.length; i++) {
            put("celeba", 32, 5, steps[i], "short-run", mseK[i], fidK[i], "Table 3");
        }
    }

    private PaperResults() {}

    private static void put(
            String dataset,
            int size,
            int layers,
            int steps,
            String method,
            double mse,
            double fid,
            String table) {
        ENTRIES.put(key(dataset, size, layers, steps, method), new Entry(mse, fid, table));
    }

    private static String key(String dataset, int size, int layers, int steps, String method) {
        return dataset + "/" + size + "/" + layers + "/" + steps + "/" + method;
    }

    /**
     * Looks up a reported cell.
     *
     * @param dataset mnist, svhn or celeba
     * @param imageSize 32 or 64
     * @param layers L
     * @param steps K
     * @param method short-run, ladder-vae, glow, abp, glo, vae or vae-iaf
     * @return the entry, or empty if the paper reports nothing there
     */
    public static Optional<Entry> lookup(
            String dataset, int imageSize, int layers, int steps, String method) {
        return Optional.ofNullable(ENTRIES.get(key(dataset, imageSize, layers, steps, method)));
    }
}
