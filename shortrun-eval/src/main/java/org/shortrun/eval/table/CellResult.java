package org.shortrun.eval.table;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.shortrun.eval.PaperResults;

/**
 * What a finished cell leaves in its {@code result.json}: the figures, timings, or why it failed.
 */
public final class CellResult {

    private static final Gson GSON =
            new GsonBuilder()
                    .setPrettyPrinting()
                    .disableHtmlEscaping()
                    .serializeSpecialFloatingPointValues()
                    .create();

    /** The largest result.json read back; an error message is the longest thing in one. */
    static final int MAX_BYTES = 1 << 20;

    String cell;
    String dataset;
    int layers;
    int steps;
    String method;

    /** Null in results written before seeds were a dimension of the grid. */
    Long seed;

    long iterations;
    Double mse;
    Double mse01;
    Integer evalImages;
    Double fid;
    Double trainSeconds;
    Double evalSeconds;
    String error;

    CellResult() {}

    /**
     * The JSON line {@code shortrun table} prints for a measured cell.
     *
     * @return cell, mse, fid, error
     */
    public java.util.Map<String, Object> toMap() {
        java.util.Map<String, Object> line = new java.util.LinkedHashMap<>();
        line.put("cell", cell);
        line.put("mse", mse);
        line.put("fid", fid);
        line.put("error", error);
        return line;
    }

    /**
     * Returns the cell's name.
     *
     * @return e.g. {@code mnist-L3-K25-short-run}
     */
    public String getCell() {
        return cell;
    }

    /**
     * Returns the test reconstruction MSE per pixel on the [-1, 1] scale.
     *
     * @return the MSE, or null if the cell failed
     */
    public Double getMse() {
        return mse;
    }

    /**
     * Returns the FID.
     *
     * @return the FID, or null if the spec asks for none or the cell failed
     */
    public Double getFid() {
        return fid;
    }

    /**
     * Returns why the cell failed.
     *
     * @return the divergence message, or null if it finished
     */
    public String getError() {
        return error;
    }

    /**
     * Reads a cell's result; a missing or damaged file gives null, so the cell is measured again. A
     * file larger than any result (a few hundred bytes; {@value #MAX_BYTES} at most) is not read,
     * and a result that names another cell than its directory's is not believed.
     */
    static CellResult read(Path cellDir) {
        Path file = cellDir.resolve("result.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            if (Files.size(file) > MAX_BYTES) {
                return null;
            }
            CellResult result =
                    GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), CellResult.class);
            if (result == null
                    || result.cell == null
                    || !cellDir.getFileName().toString().equals(result.cell)) {
                return null;
            }
            return result;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Writes through a temporary file and a rename, so a reader never sees half a result. */
    void write(Path cellDir) throws IOException {
        Path tmp = cellDir.resolve("result.json.tmp");
        Files.writeString(tmp, GSON.toJson(this), StandardCharsets.UTF_8);
        Files.move(
                tmp,
                cellDir.resolve("result.json"),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The paper's figure for a row, formatted as the tables print it, or "" where it reports none.
     */
    static String paperValue(String dataset, int size, int l, int k, String method, boolean fid) {
        return PaperResults.lookup(dataset, size, l, k, method)
                .map(e -> fid ? e.fid() : e.mse())
                .filter(v -> !Double.isNaN(v))
                .map(
                        v ->
                                fid
                                        ? String.format(Locale.ROOT, "%.2f", v)
                                        : String.format(Locale.ROOT, "%.3f", v))
                .orElse("");
    }
}
