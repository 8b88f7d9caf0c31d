package org.shortrun.eval.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cell's result.json is believed only when it is whole, of a sane size and about its own cell.
 */
class CellResultTest {

    @TempDir Path dir;

    private Path cellDir() throws IOException {
        return Files.createDirectories(dir.resolve("cells").resolve("mnist-L2-K2-short-run"));
    }

    private static CellResult result(String cell) {
        CellResult r = new CellResult();
        r.cell = cell;
        r.dataset = "mnist";
        r.layers = 2;
        r.steps = 2;
        r.method = "short-run";
        r.mse = 0.25;
        return r;
    }

    @Test
    void aWrittenResultReadsBack() throws IOException {
        Path cell = cellDir();
        result("mnist-L2-K2-short-run").write(cell);
        assertEquals(0.25, CellResult.read(cell).getMse());
    }

    @Test
    void anotherCellsResultIsNotBelieved() throws IOException {
        Path cell = cellDir();
        result("mnist-L2-K3-short-run").write(cell);
        assertNull(
                CellResult.read(cell),
                "a result copied from another cell would put its figures in the wrong row");
    }

    @Test
    void anOversizedTruncatedOrMistypedResultIsMeasuredAgain() throws IOException {
        Path cell = cellDir();
        result("mnist-L2-K2-short-run").write(cell);
        String good = Files.readString(cell.resolve("result.json"));
        Files.writeString(
                cell.resolve("result.json"),
                good.replace(
                        "\"method\"",
                        "\"padding\": \"" + "x".repeat(CellResult.MAX_BYTES) + "\", \"method\""));
        assertNull(CellResult.read(cell));
        Files.writeString(cell.resolve("result.json"), good.substring(0, good.length() / 2));
        assertNull(CellResult.read(cell));
        Files.writeString(cell.resolve("result.json"), good.replace("0.25", "\"a quarter\""));
        assertNull(CellResult.read(cell));
        Files.writeString(cell.resolve("result.json"), "null");
        assertNull(CellResult.read(cell));
    }
}
