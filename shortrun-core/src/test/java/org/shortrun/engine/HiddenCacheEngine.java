package org.shortrun.engine;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * A copy of the LibTorch in use whose oneDNN sees the cache sizes as the virtual machines that hide
 * them do, so that the engine's convolution bug shows on any AMD machine.
 *
 * <p>oneDNN's copy of Xbyak asks an AMD CPU for its caches with CPUID leaf 0x8000001D and computes
 * each size as (ways + 1)(partitions + 1)(line + 1)(sets + 1): 1 byte when the leaf returns zeros,
 * which is what those machines answer. The copy replaces the query's {@code mov eax, r10d; mov ecx,
 * esi; cpuid} by {@code xor eax, eax; xor ebx, ebx; xor ecx, ecx; nop}, so it gets exactly those
 * zeros. Everything else is the original library, linked, not copied.
 */
final class HiddenCacheEngine {

    /** {@code mov r10d, 0x8000001d}: the loop over the cache levels starts with it. */
    private static final byte[] LEAF = HexFormat.of().parseHex("41ba1d000080");

    private static final byte[] QUERY = HexFormat.of().parseHex("4489d089f10fa2");
    private static final byte[] ZEROS = HexFormat.of().parseHex("31c031db31c990");
    private static final String LIBRARY = "libtorch_cpu.so";

    private HiddenCacheEngine() {}

    /**
     * Whether this machine can show the bug through such a copy: Linux on an AMD x86-64 CPU.
     *
     * @return true where {@link #prepare} makes an engine with the bug
     */
    static boolean applies() {
        return "amd64".equals(System.getProperty("os.arch"))
                && System.getProperty("os.name").startsWith("Linux")
                && "AuthenticAMD".equals(CpuDescription.ofThisMachine().vendor());
    }

    /**
     * Builds the copy.
     *
     * @param cacheDir an empty directory; pass it to a new JVM as {@code ENGINE_CACHE_DIR}
     * @return {@code cacheDir}
     * @throws IOException if the library cannot be read or written
     * @throws IllegalStateException if this LibTorch build holds neither the query nor its
     *     replacement once
     */
    static Path prepare(Path cacheDir) throws IOException {
        Engine.getEngine("PyTorch");
        Path source = Path.of(LibUtils.getLibtorchPath());
        Path target =
                Files.createDirectories(cacheDir.resolve("pytorch").resolve(source.getFileName()));
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().equals(LIBRARY)) {
                    Files.createSymbolicLink(target.resolve(f.getFileName()), f);
                }
            }
        }
        Path library = target.resolve(LIBRARY);
        Files.copy(source.resolve(LIBRARY), library);
        try (FileChannel channel =
                FileChannel.open(library, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer bytes = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            int at = find(bytes, QUERY);
            if (at >= 0) {
                bytes.put(at, ZEROS);
                bytes.force();
            } else if (find(bytes, ZEROS) < 0) {
                throw new IllegalStateException(
                        "this LibTorch's "
                                + LIBRARY
                                + " does not hold the AMD cache query this test knows; update"
                                + " HiddenCacheEngine for it");
            }
        }
        return cacheDir;
    }

    /**
     * The position of the one instance of {@code code} that follows the leaf within 32 bytes, or
     * -1. Finding {@link #ZEROS} there means the library in use already hides the caches (a suite
     * run under such a copy), and is copied as it is.
     */
    private static int find(MappedByteBuffer bytes, byte[] code) {
        int found = -1;
        for (int i = 0; i + LEAF.length <= bytes.limit(); i++) {
            if (matches(bytes, i, LEAF)) {
                for (int j = i + LEAF.length;
                        j < i + 32 && j + QUERY.length <= bytes.limit();
                        j++) {
                    if (matches(bytes, j, code)) {
                        if (found >= 0) {
                            throw new IllegalStateException(
                                    "the AMD cache query occurs twice in " + LIBRARY);
                        }
                        found = j;
                    }
                }
            }
        }
        return found;
    }

    private static boolean matches(MappedByteBuffer bytes, int at, byte[] pattern) {
        for (int k = 0; k < pattern.length; k++) {
            if (bytes.get(at + k) != pattern[k]) {
                return false;
            }
        }
        return true;
    }
}
