package org.shortrun.examples;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.shortrun.eval.plot.StepSizePlots;
import org.shortrun.stepsize.LinearGaussianEnergy;

/**
 * The noise gap of the step-size objective in closed form, for a linear generator (d = 9, D = 60,
 * sigma = 0.2, K = 18): prints the paper's objective, the fixed-noise estimate's expectation and
 * their difference per s as JSON lines, and draws them: {@code NoiseGap [PNG]}.
 */
public final class NoiseGap {

    private NoiseGap() {}

    /**
     * Computes the closed forms over s = 0.02 to 0.15 and writes the plot.
     *
     * @param args the plot's path (noise-gap.png)
     * @throws Exception if the plot cannot be written
     */
    public static void main(String[] args) throws Exception {
        Path png = Path.of(args.length > 0 ? args[0] : "noise-gap.png");
        int steps = 18;
        LinearGaussianEnergy energy = LinearGaussianEnergy.random(9, 60, 0.2, 0.2, 7);
        int n = 30;
        double[] s = new double[n];
        double[] objective = new double[n];
        double[] fixedNoise = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = 0.02 + 0.0045 * i;
            double[] all = new double[steps];
            Arrays.fill(all, s[i]);
            LinearGaussianEnergy.Exact exact = energy.exact(all);
            objective[i] = exact.objective();
            fixedNoise[i] = exact.fixedNoiseObjective();
            System.out.printf(
                    Locale.ROOT,
                    "{\"s\":%.3f,\"objective\":%.4f,\"fixed_noise_objective\":%.4f,\"noise_gap\":%.4f}%n",
                    s[i],
                    objective[i],
                    fixedNoise[i],
                    exact.noiseGap());
        }
        StepSizePlots.writeNoiseGap(
                s,
                objective,
                fixedNoise,
                "Linear generator, d = 9, D = 60, sigma = 0.2, K = 18",
                60,
                png);
    }
}
