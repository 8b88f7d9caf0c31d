package org.shortrun.eval.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tables: one seed as they always were, several seeds summarised as mean ± sd beside each
 * seed's figure.
 */
class TableWriterTest {

    @TempDir Path dir;

    private TableSpec spec(String budgetSeed) throws IOException {
        return TableSpec.read(
                Files.writeString(
                        dir.resolve("spec.json"),
                        TableSpecTest.SPEC.replace("\"seed\": 1", budgetSeed),
                        StandardCharsets.UTF_8));
    }

    private static CellResult result(TableSpec.Cell cell, Double mse, String error) {
        CellResult r = new CellResult();
        r.cell = cell.id();
        r.dataset = cell.dataset();
        r.layers = cell.layers();
        r.steps = cell.steps();
        r.method = cell.method();
        r.seed = cell.seed();
        r.iterations = 4;
        r.mse = mse;
        r.error = error;
        return r;
    }

    @Test
    void theSampleSdIsOverNMinusOneAndOneValueStandsAlone() {
        assertEquals("0.2000 ± 0.1414 (2)", TableWriter.meanAndSd(List.of(0.1, 0.3), "%.4f"));
        // mean 0.0414, squares 0.0000004 + 0.0000256 + 0.0000289 over 2
        assertEquals(
                "0.0414 ± 0.0017 (3)",
                TableWriter.meanAndSd(List.of(0.0412, 0.0398, 0.0431), "%.4f"));
        assertEquals("0.0412", TableWriter.meanAndSd(List.of(0.0412), "%.4f"));
        assertEquals("12.50 ± 3.54 (2)", TableWriter.meanAndSd(List.of(10.0, 15.0), "%.2f"));
    }

    @Test
    void severalSeedsGiveOneRowPerConfigurationWithMeanSdAndEachSeed() throws IOException {
        TableSpec spec = spec("\"seeds\": [1, 2, 3]");
        List<TableSpec.Cell> cells = spec.cells();
        Map<String, CellResult> results = new HashMap<>();
        results.put(cells.get(0).id(), result(cells.get(0), 0.1, null));
        results.put(cells.get(1).id(), result(cells.get(1), 0.3, null));
        results.put(cells.get(2).id(), result(cells.get(2), null, "diverged at iteration 3"));
        results.put(cells.get(3).id(), result(cells.get(3), 0.05, null));
        String md = TableWriter.markdown(spec, results, Map.of());
        assertTrue(md.contains("| dataset | method | L | K | MSE | per seed | paper |\n"), md);
        assertTrue(
                md.contains(
                        "| mnist | short-run | 2 | 2 | 0.2000 ± 0.1414 (2) | 0.1000, 0.3000, failed"
                                + " |  |\n"),
                md);
        assertTrue(
                md.contains(
                        "| mnist | short-run | 2 | 3 | 0.0500 | 0.0500, pending, pending |  |\n"),
                md);
        assertTrue(md.contains("seeds 1, 2, 3, a cell each"), md);

        String csv = TableWriter.csv(spec, results);
        List<String> lines = csv.lines().toList();
        assertEquals(7, lines.size(), csv);
        assertTrue(lines.get(0).endsWith(",eval_seconds,seed,status"), lines.get(0));
        assertTrue(
                lines.get(1).startsWith("mnist,short-run,2,2,32,4,0.1,")
                        && lines.get(1).endsWith(",1,done"),
                lines.get(1));
        assertTrue(lines.get(3).endsWith(",3,failed: diverged at iteration 3"), lines.get(3));
        assertTrue(lines.get(6).endsWith(",3,pending"), lines.get(6));
    }

    @Test
    void oneSeedKeepsTheTableAsItWas() throws IOException {
        TableSpec spec = spec("\"seed\": 9");
        TableSpec.Cell first = spec.cells().get(0);
        String md =
                TableWriter.markdown(spec, Map.of(first.id(), result(first, 0.1, null)), Map.of());
        assertTrue(md.contains("| method | L | K | mnist MSE | paper |\n"), md);
        assertTrue(
                md.contains(
                        "| short-run | 2 | 2 | 0.1000 |  |\n| short-run | 2 | 3 | pending |  |\n"),
                md);
        assertFalse(md.contains("per seed") || md.contains("±") || md.contains("seeds"), md);
        assertTrue(
                TableWriter.csv(spec, Map.of())
                        .lines()
                        .skip(1)
                        .allMatch(l -> l.endsWith(",9,pending")));
    }
}
