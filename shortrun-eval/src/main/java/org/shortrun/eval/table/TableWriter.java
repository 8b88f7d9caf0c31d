package org.shortrun.eval.table;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.shortrun.eval.PaperResults;

/**
 * Lays out a table job's results as the paper does: a row per method, L and K, and for each dataset
 * our MSE and FID beside the paper's. A spec of several seeds has a row per dataset, method, L and
 * K instead, with the mean and sample standard deviation over the seeds and each seed's figure
 * beside them.
 */
final class TableWriter {

    private TableWriter() {}

    /** A row of the table: a method at some L and K. */
    private record Row(String method, int layers, int steps, boolean paperOnly) {}

    private static List<Row> rows(TableSpec spec) {
        Set<Row> rows = new LinkedHashSet<>();
        for (String m : spec.compareMethods) {
            for (int l : spec.layers) {
                for (String d : spec.datasets) {
                    if (PaperResults.lookup(d, spec.imageSize, l, 25, m).isPresent()) {
                        rows.add(new Row(m, l, 25, true));
                    }
                }
            }
        }
        for (String m : spec.methods) {
            for (int l : spec.layers) {
                for (int k : spec.steps) {
                    rows.add(new Row(m, l, k, false));
                }
            }
        }
        return new ArrayList<>(rows);
    }

    private static boolean showFid(TableSpec spec, String dataset) {
        if (spec.fidSamples > 0) {
            return true;
        }
        for (Row r : rows(spec)) {
            if (PaperResults.lookup(dataset, spec.imageSize, r.layers(), r.steps(), r.method())
                    .filter(e -> !Double.isNaN(e.fid()))
                    .isPresent()) {
                return true;
            }
        }
        return false;
    }

    static String markdown(
            TableSpec spec, Map<String, CellResult> results, Map<String, String> data) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(spec.name).append("\n\n");
        if (!spec.description.isEmpty()) {
            md.append(spec.description).append("\n\n");
        }
        md.append(
                String.format(
                        Locale.ROOT,
                        "Budget per cell: %d iterations, batch %d, lr %s (%s), s = %s, sigma = %s,"
                            + " n_f = %d, %dx%d images%s; MSE on %d test images (per pixel, [-1, 1]"
                            + " scale)%s%s.%n%n",
                        spec.iterations,
                        spec.batchSize,
                        java.math.BigDecimal.valueOf(spec.lr).stripTrailingZeros().toPlainString(),
                        spec.lrSchedule,
                        spec.stepSize,
                        spec.sigma,
                        spec.channels,
                        spec.imageSize,
                        spec.imageSize,
                        methodSettings(spec),
                        spec.evalImages,
                        spec.fidSamples > 0
                                ? "; FID from "
                                        + spec.fidSamples
                                        + " samples against "
                                        + spec.fidReal
                                        + " images"
                                : "; FID not computed",
                        spec.seeds.size() > 1
                                ? "; seeds "
                                        + String.join(
                                                ", ",
                                                spec.seeds.stream().map(String::valueOf).toList())
                                        + ", a cell each"
                                : ""));
        StringBuilder latents = new StringBuilder("Latent dimensions, top first:");
        for (int l : spec.layers) {
            latents.append(" L = ")
                    .append(l)
                    .append(": ")
                    .append(java.util.Arrays.toString(spec.zDimsFor(l)))
                    .append(';');
        }
        latents.setLength(latents.length() - 1);
        md.append(latents).append(". Data: ");
        md.append(
                        String.join(
                                "; ",
                                spec.datasets.stream().map(d -> data.getOrDefault(d, d)).toList()))
                .append(".\n\n");
        if (spec.seeds.size() > 1) {
            seedTable(md, spec, results);
            md.append(
                            "\n"
                                + "Ours is the mean ± sample standard deviation over the seeds that"
                                + " finished (their number in brackets); ")
                    .append("\"per seed\" lists each seed's figure in the order of budget.seeds. ");
            appendPaperNote(md);
            return md.toString();
        }
        StringBuilder head = new StringBuilder("| method | L | K |");
        StringBuilder rule = new StringBuilder("|---|---|---|");
        for (String d : spec.datasets) {
            head.append(' ').append(d).append(" MSE | paper |");
            rule.append("---|---|");
            if (showFid(spec, d)) {
                head.append(' ').append(d).append(" FID | paper |");
                rule.append("---|---|");
            }
        }
        md.append(head).append('\n').append(rule).append('\n');
        for (Row r : rows(spec)) {
            md.append("| ")
                    .append(r.method())
                    .append(" | ")
                    .append(r.layers())
                    .append(" | ")
                    .append(r.steps())
                    .append(" |");
            for (String d : spec.datasets) {
                TableSpec.Cell cell = spec.cellsAt(d, r.layers(), r.steps(), r.method()).get(0);
                CellResult res = r.paperOnly() ? null : results.get(cell.id());
                md.append(' ')
                        .append(ours(r, res, false, spec))
                        .append(" | ")
                        .append(
                                CellResult.paperValue(
                                        d,
                                        spec.imageSize,
                                        r.layers(),
                                        r.steps(),
                                        r.method(),
                                        false))
                        .append(" |");
                if (showFid(spec, d)) {
                    md.append(' ')
                            .append(ours(r, res, true, spec))
                            .append(" | ")
                            .append(
                                    CellResult.paperValue(
                                            d,
                                            spec.imageSize,
                                            r.layers(),
                                            r.steps(),
                                            r.method(),
                                            true))
                            .append(" |");
                }
            }
            md.append('\n');
        }
        md.append('\n');
        appendPaperNote(md);
        return md.toString();
    }

    private static void appendPaperNote(StringBuilder md) {
        md.append(
                        "\"paper\" is Nijkamp et al. (ECCV 2020), Tables 1-3, at the paper's own"
                                + " budget (about 3e5 iterations); ")
                .append(
                        "an empty paper cell means the paper reports nothing there. Rows with \"not"
                            + " run\" are the spec's compare_methods: the paper's figures alone,"
                            + " not trained by this job.\n");
    }

    /** The budget keys that only some methods read, named only when the spec sets them. */
    private static String methodSettings(TableSpec spec) {
        StringBuilder s = new StringBuilder();
        if (spec.klWarmup != null) {
            s.append(", KL warm-up ").append(spec.klWarmup).append(" iterations");
        }
        if (spec.codeLearningRate != null) {
            s.append(", GLO code step ").append(spec.codeLearningRate);
        }
        return s.toString();
    }

    /**
     * The table of a spec of several seeds: a row per dataset, method, L and K, as the seeds of one
     * configuration are summarised together and datasets as columns would double in width.
     */
    private static void seedTable(
            StringBuilder md, TableSpec spec, Map<String, CellResult> results) {
        boolean anyFid = spec.datasets.stream().anyMatch(d -> showFid(spec, d));
        md.append("| dataset | method | L | K | MSE | per seed | paper |")
                .append(anyFid ? " FID | per seed | paper |" : "")
                .append('\n');
        md.append("|---|---|---|---|---|---|---|")
                .append(anyFid ? "---|---|---|" : "")
                .append('\n');
        for (String d : spec.datasets) {
            for (Row r : rows(spec)) {
                if (r.paperOnly()
                        && PaperResults.lookup(d, spec.imageSize, r.layers(), r.steps(), r.method())
                                .isEmpty()) {
                    continue;
                }
                List<CellResult> res =
                        r.paperOnly()
                                ? List.of()
                                : spec.cellsAt(d, r.layers(), r.steps(), r.method()).stream()
                                        .map(c -> results.get(c.id()))
                                        .toList();
                md.append("| ")
                        .append(d)
                        .append(" | ")
                        .append(r.method())
                        .append(" | ")
                        .append(r.layers())
                        .append(" | ")
                        .append(r.steps())
                        .append(" |");
                appendSeeds(md, spec, r, res, false);
                md.append(' ')
                        .append(
                                CellResult.paperValue(
                                        d,
                                        spec.imageSize,
                                        r.layers(),
                                        r.steps(),
                                        r.method(),
                                        false))
                        .append(" |");
                if (anyFid) {
                    if (showFid(spec, d)) {
                        appendSeeds(md, spec, r, res, true);
                        md.append(' ')
                                .append(
                                        CellResult.paperValue(
                                                d,
                                                spec.imageSize,
                                                r.layers(),
                                                r.steps(),
                                                r.method(),
                                                true))
                                .append(" |");
                    } else {
                        md.append("  |  |  |");
                    }
                }
                md.append('\n');
            }
        }
    }

    /** Appends the summary over the seeds and the per-seed column. */
    private static void appendSeeds(
            StringBuilder md, TableSpec spec, Row r, List<CellResult> res, boolean fid) {
        if (r.paperOnly()) {
            md.append(" not run |  |");
            return;
        }
        List<String> perSeed = new ArrayList<>();
        List<Double> finished = new ArrayList<>();
        for (CellResult c : res) {
            Double v = c == null || c.error != null ? null : fid ? c.fid : c.mse;
            if (v != null) {
                finished.add(v);
            }
            perSeed.add(ours(r, c, fid, spec));
        }
        String summary;
        if (!finished.isEmpty()) {
            summary = meanAndSd(finished, fid ? "%.2f" : "%.4f");
        } else if (res.stream().allMatch(c -> c != null && c.error != null)) {
            summary = "failed";
        } else {
            // some seed may still finish; a cell measured without the figure shows "-"
            summary = res.stream().anyMatch(c -> c == null || c.error != null) ? "pending" : "-";
        }
        md.append(' ')
                .append(summary)
                .append(" | ")
                .append(String.join(", ", perSeed))
                .append(" |");
    }

    /**
     * Formats values as {@code mean ± sd (n)} with the sample standard deviation (n - 1), or the
     * one value alone, as one figure has no spread.
     */
    static String meanAndSd(List<Double> values, String format) {
        int n = values.size();
        double mean = values.stream().mapToDouble(Double::doubleValue).sum() / n;
        if (n == 1) {
            return String.format(Locale.ROOT, format, mean);
        }
        double squares = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
        double sd = Math.sqrt(squares / (n - 1));
        return String.format(Locale.ROOT, format + " ± " + format + " (%d)", mean, sd, n);
    }

    private static String ours(Row r, CellResult res, boolean fid, TableSpec spec) {
        if (r.paperOnly()) {
            return "not run";
        }
        if (res == null) {
            return "pending";
        }
        if (res.error != null) {
            return "failed";
        }
        if (fid) {
            return res.fid == null ? "-" : String.format(Locale.ROOT, "%.2f", res.fid);
        }
        return res.mse == null ? "-" : String.format(Locale.ROOT, "%.4f", res.mse);
    }

    static String csv(TableSpec spec, Map<String, CellResult> results) {
        StringBuilder csv =
                new StringBuilder(
                        "dataset,method,layers,steps,image_size,iterations,mse,mse01,fid,paper_mse,paper_fid,train_seconds,eval_seconds,seed,status\n");
        for (TableSpec.Cell cell : spec.cells()) {
            CellResult res = results.get(cell.id());
            String status =
                    res == null
                            ? "pending"
                            : res.error != null ? "failed: " + res.error.replace(',', ';') : "done";
            csv.append(
                            String.join(
                                    ",",
                                    cell.dataset(),
                                    cell.method(),
                                    Integer.toString(cell.layers()),
                                    Integer.toString(cell.steps()),
                                    Integer.toString(spec.imageSize),
                                    res == null ? "" : Long.toString(res.iterations),
                                    value(res == null ? null : res.mse),
                                    value(res == null ? null : res.mse01),
                                    value(res == null ? null : res.fid),
                                    CellResult.paperValue(
                                            cell.dataset(),
                                            spec.imageSize,
                                            cell.layers(),
                                            cell.steps(),
                                            cell.method(),
                                            false),
                                    CellResult.paperValue(
                                            cell.dataset(),
                                            spec.imageSize,
                                            cell.layers(),
                                            cell.steps(),
                                            cell.method(),
                                            true),
                                    value(res == null ? null : res.trainSeconds),
                                    value(res == null ? null : res.evalSeconds),
                                    Long.toString(cell.seed()),
                                    status))
                    .append('\n');
        }
        return csv.toString();
    }

    private static String value(Double v) {
        return v == null ? "" : Double.toString(v);
    }
}
