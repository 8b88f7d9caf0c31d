package org.shortrun.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CPU a result was computed on, as Linux describes it: model name, vendor and family, the
 * instruction sets that decide which kernels the engine runs, and whether the cache sizes are
 * visible (oneDNN's wrong convolution gradients come from hidden ones; docs/DESIGN.md).
 *
 * @param model the model name, or "unknown"
 * @param vendor the vendor id, or "unknown"
 * @param family the CPU family, or -1
 * @param cores the processors available to the JVM
 * @param flags the flags among {@link #FLAGS_THAT_MATTER} that the CPU has
 * @param l1dCache the first-level data cache size as the kernel reports it, or null if hidden
 */
public record CpuDescription(
        String model, String vendor, int family, int cores, List<String> flags, String l1dCache) {

    /** Instruction-set flags that select oneDNN's and LibTorch's kernels. */
    public static final List<String> FLAGS_THAT_MATTER =
            List.of(
                    "avx",
                    "avx2",
                    "fma",
                    "avx512f",
                    "avx512bw",
                    "avx512_vnni",
                    "avx512_bf16",
                    "amx_tile");

    /**
     * Describes this machine's CPU.
     *
     * @return the description; fields Linux does not give are "unknown", -1 or null
     */
    public static CpuDescription ofThisMachine() {
        Map<String, String> info = firstProcessor(Path.of("/proc/cpuinfo"));
        Set<String> present = Set.of(info.getOrDefault("flags", "").split("\\s+"));
        List<String> flags = new ArrayList<>();
        for (String f : FLAGS_THAT_MATTER) {
            if (present.contains(f)) {
                flags.add(f);
            }
        }
        int family;
        try {
            family = Integer.parseInt(info.getOrDefault("cpu family", "-1").trim());
        } catch (NumberFormatException e) {
            family = -1;
        }
        return new CpuDescription(
                info.getOrDefault("model name", "unknown"),
                info.getOrDefault("vendor_id", "unknown"),
                family,
                Runtime.getRuntime().availableProcessors(),
                List.copyOf(flags),
                l1dCache(Path.of("/sys/devices/system/cpu/cpu0/cache")));
    }

    /**
     * Whether the CPU has AVX-512 (foundation).
     *
     * @return true with AVX-512
     */
    public boolean hasAvx512() {
        return flags.contains("avx512f");
    }

    /**
     * The description as JSON-ready entries.
     *
     * @return the entries, in a stable order
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("vendor", vendor);
        m.put("family", family);
        m.put("cores", cores);
        m.put("flags", flags);
        m.put("l1d_cache", l1dCache);
        return m;
    }

    private static Map<String, String> firstProcessor(Path cpuinfo) {
        Map<String, String> info = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.isBlank() && !info.isEmpty()) {
                    break;
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    info.putIfAbsent(
                            line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: the fields stay unknown
        }
        return info;
    }

    private static String l1dCache(Path caches) {
        try (var indices = Files.list(caches)) {
            for (Path index : (Iterable<Path>) indices.sorted()::iterator) {
                Path level = index.resolve("level");
                Path type = index.resolve("type");
                Path size = index.resolve("size");
                if (Files.isRegularFile(size)
                        && "1".equals(Files.readString(level).trim())
                        && "Data".equals(Files.readString(type).trim())) {
                    return Files.readString(size).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
