package org.shortrun.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A benchmark times only the iterations after its warm-up, and samples memory where asked. */
class BenchmarkTest {

    @Test
    void timesTheIterationsAfterTheWarmupAndSamplesMemoryWhereAsked() throws IOException {
        Benchmark.Result result =
                Benchmark.builder()
                        .setModel(TrainingRunTest.MODEL)
                        .setLearningConfig(TrainingRunTest.config(4, 0))
                        .setSource(new ArraySource(10, 3, -1))
                        .optWarmup(1)
                        .optResidentMemoryAt(List.of(2L, 9L))
                        .build()
                        .run();
        assertEquals(3, result.seconds().size(), result.seconds().toString());
        assertTrue(result.seconds().stream().allMatch(s -> s > 0), result.seconds().toString());
        assertEquals(result.seconds().stream().sorted().toList().get(1), result.medianSeconds(), 0);
        assertEquals(
                result.seconds().stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                result.minSeconds(),
                0);
        // iteration 9 never ran, so only iteration 2 was sampled
        assertEquals(List.of("2"), List.copyOf(result.residentMegabytes().keySet()));
        assertTrue(result.residentMegabytes().get("2") > 0, result.residentMegabytes().toString());
        assertTrue(result.parameters() > 0);
        assertTrue(result.parametersFrozen());
    }

    @Test
    void aWarmupThatLeavesNothingToTimeIsRefused() {
        Benchmark.Builder builder =
                Benchmark.builder()
                        .setModel(TrainingRunTest.MODEL)
                        .setLearningConfig(TrainingRunTest.config(2, 0))
                        .setSource(new ArraySource(10, 3, -1))
                        .optWarmup(2);
        assertThrows(IllegalArgumentException.class, builder::build);
    }
}
