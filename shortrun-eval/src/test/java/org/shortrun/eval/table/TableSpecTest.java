package org.shortrun.eval.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.shortrun.InputException;
import org.shortrun.io.Fuzz;
import org.shortrun.method.Glo;
import org.shortrun.method.Variational;
import org.shortrun.training.LearningConfig;

/**
 * Spec files: every value read exactly, and anything else refused in one line naming the file and
 * the field.
 */
class TableSpecTest {

    static final String SPEC =
            "{\"name\": \"tiny\", \"datasets\": [\"mnist\"], \"layers\": [2], \"steps\": [2, 3],"
                + " \"methods\": [\"short-run\"], \"z_dims\": {\"2\": [4, 6]}, \"budget\":"
                + " {\"iterations\": 4, \"batch_size\": 8, \"channels\": 16, \"checkpoint_every\":"
                + " 2, \"eval_images\": 16, \"lr\": 8e-5, \"lr_schedule\": \"released\", \"seed\":"
                + " 1, \"fid_samples\": 0}}";

    @TempDir Path dir;

    private Path write(String text) throws IOException {
        return Files.writeString(dir.resolve("spec.json"), text, StandardCharsets.UTF_8);
    }

    private String refusal(String text) throws IOException {
        Path file = write(text);
        String message =
                assertThrows(InputException.class, () -> TableSpec.read(file)).getMessage();
        assertTrue(message.startsWith("spec " + file), message);
        assertEquals(1, message.lines().count(), message);
        return message.substring(("spec " + file).length());
    }

    @Test
    void aValidSpecReadsWithItsCanonicalFormUnchanged() throws IOException {
        TableSpec spec = TableSpec.read(write(SPEC));
        assertEquals("tiny", spec.getName());
        assertEquals(
                List.of(
                        new TableSpec.Cell("mnist", 2, 2, "short-run"),
                        new TableSpec.Cell("mnist", 2, 3, "short-run")),
                spec.cells());
        assertEquals(4, spec.iterations);
        assertEquals(8, spec.batchSize);
        assertEquals(8e-5, spec.lr);
        // saved as spec.json by earlier jobs and compared on resume, so its text must not change
        assertEquals(
                "{\"budget\":{\"batch_size\":8,\"channels\":16,\"checkpoint_every\":2,\"eval_images\":16,\"fid_samples\":0,\"iterations\":4,\"lr\":8e-5,"
                    + "\"lr_schedule\":\"released\",\"seed\":1},\"datasets\":[\"mnist\"],\"layers\":[2],\"methods\":[\"short-run\"],\"name\":\"tiny\","
                    + "\"steps\":[2,3],\"z_dims\":{\"2\":[4,6]}}",
                spec.canonical);
        assertEquals(
                1000,
                TableSpec.read(write(SPEC.replace("\"iterations\": 4", "\"iterations\": 1e3")))
                        .iterations,
                "1e3 is exactly 1000");
        assertEquals(
                4,
                TableSpec.read(write(SPEC.replace("\"iterations\": 4", "\"iterations\": 4.0")))
                        .iterations,
                "4.0 is exactly 4");
    }

    @Test
    void eachSeedIsACellNamedBySeedOnlyWhenThereAreSeveral() throws IOException {
        TableSpec one = TableSpec.read(write(SPEC.replace("\"seed\": 1", "\"seed\": 7")));
        assertEquals(
                List.of("mnist-L2-K2-short-run", "mnist-L2-K3-short-run"),
                one.cells().stream().map(TableSpec.Cell::id).toList(),
                "a one-seed job keeps its cell names, so its resume directories stay where they"
                        + " were");
        assertEquals(List.of(7L, 7L), one.cells().stream().map(TableSpec.Cell::seed).toList());
        assertEquals(7, TableJob.training(one, one.cells().get(0)).getSeed());

        TableSpec two = TableSpec.read(write(SPEC.replace("\"seed\": 1", "\"seeds\": [1, 2]")));
        List<TableSpec.Cell> cells = two.cells();
        assertEquals(2 * one.cells().size(), cells.size());
        assertEquals(
                List.of(
                        "mnist-L2-K2-short-run-s1",
                        "mnist-L2-K2-short-run-s2",
                        "mnist-L2-K3-short-run-s1",
                        "mnist-L2-K3-short-run-s2"),
                cells.stream().map(TableSpec.Cell::id).toList());
        assertEquals(List.of(1L, 2L, 1L, 2L), cells.stream().map(TableSpec.Cell::seed).toList());
        for (TableSpec.Cell cell : cells) {
            assertEquals(cell.seed(), TableJob.training(two, cell).getSeed(), cell.id());
        }
        assertEquals(
                List.of(1L),
                TableSpec.read(write(SPEC.replace("\"seed\": 1", "\"seeds\": [1]")))
                        .cells()
                        .stream()
                        .map(TableSpec.Cell::seed)
                        .distinct()
                        .toList());
        assertEquals(
                "mnist-L2-K2-short-run",
                TableSpec.read(write(SPEC.replace("\"seed\": 1", "\"seeds\": [5]")))
                        .cells()
                        .get(0)
                        .id(),
                "one seed listed is one seed");
    }

    @Test
    void klWarmupAndCodeLrReachTheCellsTrainingOnlyWhenGiven() throws IOException {
        TableSpec plain =
                TableSpec.read(write(SPEC.replace("[\"short-run\"]", "[\"vae\", \"glo\"]")));
        Variational vae = (Variational) TableJob.training(plain, cell(plain, "vae")).getMethod();
        assertEquals(Variational.DEFAULT_KL_WARMUP, vae.getKlWarmup());
        Glo glo = (Glo) TableJob.training(plain, cell(plain, "glo")).getMethod();
        assertEquals(Glo.DEFAULT_CODE_LEARNING_RATE, glo.getCodeLearningRate());

        TableSpec set =
                TableSpec.read(
                        write(
                                SPEC.replace("[\"short-run\"]", "[\"vae\", \"glo\"]")
                                        .replace(
                                                "\"seed\": 1",
                                                "\"seed\": 1, \"kl_warmup\": 0, \"code_lr\":"
                                                        + " 0.5")));
        for (TableSpec.Cell cell : set.cells()) {
            LearningConfig training = TableJob.training(set, cell);
            // each option reaches the method that has it: the warm-up the VAE, the code step GLO
            if (training.getMethod() instanceof Variational v) {
                assertEquals(0, v.getKlWarmup(), cell.id());
            } else {
                assertEquals(0.5f, ((Glo) training.getMethod()).getCodeLearningRate(), cell.id());
            }
            assertEquals(
                    TableSpec.libraryName(cell.method()),
                    training.getMethod().getName(),
                    cell.id());
        }
    }

    private static TableSpec.Cell cell(TableSpec spec, String method) {
        return spec.cells().stream()
                .filter(c -> c.method().equals(method))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void everySpecShippedInDocsReads() throws IOException {
        try (var specs = Files.list(Path.of("..", "docs", "specs"))) {
            List<Path> files = specs.filter(p -> p.toString().endsWith(".json")).toList();
            assertTrue(!files.isEmpty());
            for (Path file : files) {
                TableSpec.read(file);
            }
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"batch_size\": 8 | \"batch_size\": 4294967297 | : budget.batch_size must be a"
                        + " positive integer up to 2147483647, got 4294967297",
                "\"fid_samples\": 0 | \"fid_samples\": 1e39 | : budget.fid_samples must be an"
                        + " integer from 0 to 2147483647, got 1e39",
                "\"fid_samples\": 0 | \"fid_samples\": -2 | : budget.fid_samples must be an integer"
                        + " from 0 to 2147483647, got -2",
                "\"fid_samples\": 0 | \"fid_samples\": 1 | : budget.fid_samples must be 0 (no FID)"
                        + " or at least 2, got 1",
                "\"batch_size\": 8 | \"batch_size\": 8.5 | : budget.batch_size must be a positive"
                        + " integer up to 2147483647, got 8.5, which is not an integer",
                "\"batch_size\": 8 | \"batch_size\": \"8\" | : budget.batch_size must be a positive"
                        + " integer up to 2147483647, got \"8\"",
                "\"batch_size\": 8 | \"batch_size\": [8] | : budget.batch_size must be a positive"
                        + " integer up to 2147483647, got [8]",
                "\"batch_size\": 8 | \"batch_size\": 0 | : budget.batch_size must be a positive"
                        + " integer up to 2147483647, got 0",
                "\"iterations\": 4 | \"iterations\": 9223372036854775808 | : budget.iterations must"
                    + " be a positive integer up to 9223372036854775807, got 9223372036854775808",
                "\"iterations\": 4 | \"iterations\": 1e999999999 | : budget.iterations must be a"
                        + " positive integer up to 9223372036854775807, got 1e999999999",
                "\"seed\": 1 | \"seed\": 4294967297 | : budget.seed must be an integer from"
                        + " -2147483648 to 2147483647, got 4294967297",
                "\"channels\": 16 | \"channels\": null | : budget.channels must be a positive"
                        + " integer up to 2147483647, got null",
                "\"checkpoint_every\": 2 | \"checkpoint_every\": -1 | : budget.checkpoint_every"
                        + " must be an integer from 0 to 9223372036854775807, got -1",
                "\"eval_images\": 16 | \"eval_images\": 1e-3 | : budget.eval_images must be a"
                        + " positive integer up to 2147483647, got 1e-3, which is not an integer",
                "\"lr\": 8e-5 | \"lr\": 1e999 | : budget.lr must be a positive finite number, got"
                        + " 1e999",
                "\"lr\": 8e-5 | \"lr\": \"fast\" | : budget.lr must be a positive number, got"
                        + " \"fast\"",
                "\"lr\": 8e-5 | \"lr\": 8e-5, \"step_size\": 1e39 | : budget.step_size must be a"
                        + " positive number a float holds (1.4e-45 to 3.4e38), got 1e39",
                "\"lr\": 8e-5 | \"lr\": 8e-5, \"sigma\": 1e-50 | : budget.sigma must be a positive"
                        + " number a float holds (1.4e-45 to 3.4e38), got 1e-50",
                "\"lr_schedule\": \"released\" | \"lr_schedule\": 3 | : budget.lr_schedule must be"
                        + " a string, got 3",
                "\"layers\": [2] | \"layers\": [2.5] | : layers must be a positive integer up to"
                        + " 2147483647, got 2.5, which is not an integer",
                "\"layers\": [2] | \"layers\": [4294967298] | : layers must be a positive integer"
                        + " up to 2147483647, got 4294967298",
                "\"steps\": [2, 3] | \"steps\": [2, {}] | : steps must be a positive integer up to"
                        + " 2147483647, got {}",
                "\"datasets\": [\"mnist\"] | \"datasets\": [7] | : datasets must be a string, got"
                        + " 7",
                "\"z_dims\": {\"2\": [4, 6]} | \"z_dims\": {\"2\": [4, 4294967302]} | : z_dims.2"
                        + " must be a positive integer up to 2147483647, got 4294967302",
                "\"z_dims\": {\"2\": [4, 6]} | \"z_dims\": {\"2\": 4} | : z_dims.2 must be a list,"
                        + " got 4",
                "\"z_dims\": {\"2\": [4, 6]} | \"z_dims\": [4, 6] | : z_dims must be an object, got"
                        + " [4,6]",
                "\"name\": \"tiny\" | \"name\": \"../../etc\" | : name must be a file name, without"
                        + " / or \\, got '../../etc'",
                "\"name\": \"tiny\" | \"name\": {} | : name must be a string, got {}",
                "\"name\": \"tiny\" | \"name\": \"tiny\", \"name\": \"other\" | : key 'name' is"
                        + " given twice (at $.name)",
                "\"seed\": 1 | \"seed\": 1, \"iterations\": 400000 | : key 'iterations' is given"
                        + " twice (at $.budget.iterations)",
                "\"budget\": { | \"budget\": 3, \"x\": { | : unknown key 'x' (known: budget,"
                        + " celeba_first, compare_methods, data_dirs, datasets, description,"
                        + " image_size, layers, methods, name, steps, z_dims)",
                "\"methods\": [\"short-run\"] | \"methods\": [\"glow\"] | : method 'glow' cannot be"
                        + " trained here (known: abp, clae, glo, ladder-vae, lae, short-run, vae)",
                "\"seed\": 1 | \"seed\": 1, \"seeds\": [1, 2] | : budget.seed and budget.seeds are"
                        + " both given; list every seed in seeds",
                "\"seed\": 1 | \"seeds\": [1, 2, 1] | : budget.seeds lists 1 twice",
                "\"seed\": 1 | \"seeds\": [] | : budget.seeds must be a non-empty list of integers,"
                        + " got []",
                "\"seed\": 1 | \"seeds\": 3 | : budget.seeds must be a non-empty list of integers,"
                        + " got 3",
                "\"seed\": 1 | \"seeds\": [1, 4294967297] | : budget.seeds must be an integer from"
                        + " -2147483648 to 2147483647, got 4294967297",
                "\"seed\": 1 | \"seeds\": [1, 2.5] | : budget.seeds must be an integer from"
                        + " -2147483648 to 2147483647, got 2.5, which is not an integer",
                "\"seed\": 1 | \"seed\": 1, \"kl_warmup\": -1 | : budget.kl_warmup must be an"
                        + " integer from 0 to 9223372036854775807, got -1",
                "\"seed\": 1 | \"seed\": 1, \"kl_warmup\": 2.5 | : budget.kl_warmup must be an"
                    + " integer from 0 to 9223372036854775807, got 2.5, which is not an integer",
                "\"seed\": 1 | \"seed\": 1, \"code_lr\": 0 | : budget.code_lr must be a positive"
                        + " finite number, got 0",
                "\"seed\": 1 | \"seed\": 1, \"code_lr\": \"fast\" | : budget.code_lr must be a"
                        + " positive number, got \"fast\"",
                "\"seed\": 1 | \"seed\": 1, \"code_lr\": 1e39 | : budget.code_lr must be a positive"
                        + " number a float holds (1.4e-45 to 3.4e38), got 1e39",
                "\"methods\": [\"short-run\"] | \"methods\": [\"short-run\", \"abp\"],"
                    + " \"compare_methods\": [\"abp\"] | : 'abp' is in methods, trained, and in"
                    + " compare_methods; a trained method's rows show the paper's numbers already",
            })
    void valuesAreReadExactlyOrRefusedNamingTheField(String from, String to, String message)
            throws IOException {
        assertTrue(SPEC.contains(from), from);
        assertEquals(message, refusal(SPEC.replace(from, to)));
    }

    @Test
    void deepNestingIsOneLineNotAStackOverflow() throws IOException {
        String deep = "[".repeat(1025) + "]".repeat(1025);
        assertEquals(
                " nests deeper than 32 levels at $.description"
                        + "[0]".repeat(31)
                        + "; a spec needs 3",
                refusal(
                        SPEC.replace(
                                "\"name\": \"tiny\"",
                                "\"name\": \"tiny\", \"description\": " + deep)));
        String deeper = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
        assertTrue(refusal(deeper).startsWith(" nests deeper than 32 levels at $.a.a.a"));
        assertTrue(
                refusal("[".repeat(200_000)).startsWith(" nests deeper than 32 levels at $[0][0]"));
    }

    @Test
    void oversizedBrokenAndForeignFilesAreRefusedInOneLine() throws IOException {
        String big =
                SPEC.replace(
                        "\"name\": \"tiny\"",
                        "\"name\": \"tiny\", \"description\": \""
                                + "x".repeat(TableSpec.MAX_BYTES)
                                + "\"");
        assertEquals(
                " is " + big.length() + " bytes; a spec is at most 1048576 (1 MiB)", refusal(big));
        Path latin1 =
                Files.write(
                        dir.resolve("latin1.json"),
                        new byte[] {
                            '{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xe9, '"', '}'
                        });
        assertEquals(
                "spec " + latin1 + " is not UTF-8 text",
                assertThrows(InputException.class, () -> TableSpec.read(latin1)).getMessage());
        assertTrue(refusal("{\"name\": ").startsWith(" is not valid JSON: "));
        assertTrue(refusal("{} {}").startsWith(" is not valid JSON: "));
        assertEquals(" must be a JSON object", refusal("[1]"));
        assertEquals(
                " does not exist",
                assertThrows(InputException.class, () -> TableSpec.read(dir.resolve("none.json")))
                        .getMessage()
                        .substring(("spec " + dir.resolve("none.json")).length()));
    }

    @Test
    void fuzzedSpecsAreReadOrRefusedCleanly() throws Exception {
        Fuzz.Report report =
                Fuzz.of("table spec", SPEC.getBytes(StandardCharsets.UTF_8), 30)
                        .mutants(3000)
                        .run(dir.resolve("mutant.json"), TableSpec::read);
        assertTrue(report.ok(), report.details());
    }
}
