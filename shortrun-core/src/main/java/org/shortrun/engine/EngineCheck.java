package org.shortrun.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.shortrun.RandomStream;
import org.shortrun.model.LadderConfig;
import org.shortrun.model.LadderGenerator;
import org.shortrun.model.LatentGenerator;

/**
 * Checks, in a second or two, whether this machine's engine computes a generator's gradients
 * correctly: the float32 gradients of a generator of the given shape, with respect to its latents
 * and every parameter, against a float64 recomputation, at two batch sizes (the engine takes other
 * paths at batch 1 than above it). It also reports whether the engine on its own gets a plain
 * convolution with 4 or 12 output channels wrong, the known oneDNN bug that {@link
 * org.shortrun.model.PaddedConv2d} works around (docs/DESIGN.md). The commands run it before long
 * work and refuse to go on if the generator's gradients are wrong.
 */
public final class EngineCheck {

    /** The batch sizes the generator is checked at. */
    public static final List<Integer> BATCHES = List.of(1, 4);

    private static final long SEED = 20201;

    private EngineCheck() {}

    /**
     * What the check found, and where.
     *
     * @param cpu the CPU
     * @param libtorch the engine's version
     * @param djl DJL's version
     * @param plainConvolutionError the worst relative error of a plain (unpadded) convolution's
     *     input gradient with 4 or 12 output channels: at least {@link GradientCheck#TOLERANCE}
     *     where the engine has the oneDNN bug
     * @param generator the generator's agreement, the worst over {@link #BATCHES}
     * @param seconds how long the check took
     */
    public record Report(
            CpuDescription cpu,
            String libtorch,
            String djl,
            double plainConvolutionError,
            GradientCheck.Result generator,
            double seconds) {

        /**
         * Whether the engine on its own computes wrong input gradients for convolutions whose
         * output channels are not a multiple of 16.
         *
         * @return true where the engine has the bug
         */
        public boolean engineHasConvolutionBug() {
            return !(plainConvolutionError < GradientCheck.TOLERANCE);
        }

        /**
         * Whether the generator's float32 gradients agree with float64, workarounds included.
         *
         * @return true if training and inference can be trusted
         */
        public boolean ok() {
            return generator.agrees();
        }

        /**
         * What the check found, in one sentence for a person.
         *
         * @return e.g. "engine check passed in 0.5 s (float32 gradients within 1.2e-06 of float64)"
         */
        public String describe() {
            return String.format(
                    java.util.Locale.ROOT,
                    "engine check passed in %.1f s (float32 gradients within %.1e of float64)%s",
                    seconds,
                    generator.worst(),
                    engineHasConvolutionBug()
                            ? "; this machine's oneDNN gets convolution gradients wrong, which"
                                    + " shortrun works around"
                            : "");
        }

        /**
         * One line naming the problem, for a command that refuses to go on.
         *
         * @return the problem, or null if there is none
         */
        public String problem() {
            if (ok()) {
                return null;
            }
            return String.format(
                    Locale.ROOT,
                    "the engine computes wrong gradients on this machine: float32 against float64,"
                        + " relative error %.3g in the latents' gradient and %.3g in %s's (at most"
                        + " %.0e allowed), and no workaround covers it; LibTorch %s on %s (%s)",
                    generator.inputError(),
                    generator.parameterError(),
                    generator.worstParameter(),
                    GradientCheck.TOLERANCE,
                    libtorch,
                    cpu.model(),
                    String.join(" ", cpu.flags()));
        }

        /**
         * The report as JSON-ready entries, for config.json and bench's line.
         *
         * @return the entries, in a stable order
         */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ok", ok());
            m.put("latent_gradient_error", finiteOrNull(generator.inputError()));
            m.put("parameter_gradient_error", finiteOrNull(generator.parameterError()));
            m.put("batches", BATCHES);
            m.put("engine_convolution_bug", engineHasConvolutionBug());
            m.put("plain_convolution_error", finiteOrNull(plainConvolutionError));
            m.put("seconds", seconds);
            m.put("libtorch", libtorch);
            m.put("djl", djl);
            m.put("cpu", cpu.toMap());
            return m;
        }

        /**
         * Adds what a run records of the engine to its config.json entries: this report as {@code
         * engine_check}, the versions of DJL and LibTorch beside those already in {@code versions},
         * and the CPU.
         *
         * @param record the run's entries, added to in place
         */
        public void addTo(Map<String, Object> record) {
            Map<String, Object> versions = new LinkedHashMap<>();
            if (record.get("versions") instanceof Map<?, ?> given) {
                given.forEach((k, v) -> versions.put(String.valueOf(k), v));
            }
            versions.put("djl", djl);
            versions.put("libtorch", libtorch);
            record.put("versions", versions);
            record.put("engine_check", toMap());
            record.put("cpu", cpu.toMap());
        }

        private static Double finiteOrNull(double v) {
            return Double.isFinite(v) ? v : null;
        }
    }

    /**
     * Runs the check and refuses an engine whose float32 gradients disagree with float64, before
     * long work starts.
     *
     * @param generator the generator whose architecture is checked; left as it is
     * @param parent the manager to work under; nothing is left in it
     * @return the report of a check that passed
     * @throws org.shortrun.InputException naming the problem, if it failed
     */
    public static Report require(LatentGenerator generator, NDManager parent) {
        Report report = run(generator, parent);
        if (!report.ok()) {
            throw new org.shortrun.InputException(report.problem());
        }
        return report;
    }

    /**
     * Runs the check on a freshly initialised ladder generator of this shape, its parameters and
     * inputs drawn from fixed seeds.
     *
     * @param config the generator's shape
     * @param parent the manager to work under; nothing is left in it
     * @return the report
     */
    public static Report run(LadderConfig config, NDManager parent) {
        return run(new LadderGenerator(config), parent);
    }

    /**
     * Runs the check on a fresh generator of the architecture of {@code generator}, which is left
     * as it is; the fresh one's parameters and the inputs are drawn from fixed seeds.
     *
     * @param generator the generator whose architecture is checked
     * @param parent the manager to work under; nothing is left in it
     * @return the report
     */
    public static Report run(LatentGenerator generator, NDManager parent) {
        long start = System.nanoTime();
        double plain = 0;
        GradientCheck.Result worst = null;
        try (NDManager manager = parent.newSubManager()) {
            plain = Math.max(plainConvolution(16, 4, manager), plainConvolution(64, 12, manager));
            LatentGenerator single = generator.newInstance();
            single.initialize(manager, DataType.FLOAT32, RandomStream.seeded(SEED), 1);
            LatentGenerator reference = single.copyAs(DataType.FLOAT64, manager);
            for (int batch : BATCHES) {
                GradientCheck.Result r =
                        GradientCheck.compare(
                                single,
                                reference,
                                single.latentShapes(batch),
                                SEED + batch,
                                manager);
                if (worst == null || !(r.worst() <= worst.worst())) {
                    worst = r;
                }
            }
        }
        Engine engine = Engine.getInstance();
        return new Report(
                CpuDescription.ofThisMachine(),
                engine.getVersion(),
                Engine.getDjlVersion(),
                plain,
                worst,
                (System.nanoTime() - start) / 1e9);
    }

    /** The input-gradient error of DJL's own convolution, 3 x 3 on 16 x 16 maps at batch 16. */
    private static double plainConvolution(int in, int out, NDManager manager) {
        Conv2d single = plainConv(out);
        Conv2d reference = plainConv(out);
        Shape shape = new Shape(16, in, 16, 16);
        single.initialize(manager, DataType.FLOAT32, shape);
        reference.initialize(manager, DataType.FLOAT64, shape);
        for (int i = 0; i < single.getParameters().size(); i++) {
            try (NDArray value =
                    single.getParameters()
                            .get(i)
                            .getValue()
                            .getArray()
                            .toType(DataType.FLOAT64, true)) {
                reference
                        .getParameters()
                        .get(i)
                        .getValue()
                        .getArray()
                        .set(new NDIndex("..."), value);
            }
        }
        return GradientCheck.compare(single, reference, new Shape[] {shape}, SEED, manager)
                .inputError();
    }

    private static Conv2d plainConv(int out) {
        return Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1))
                .setFilters(out)
                .build();
    }
}
