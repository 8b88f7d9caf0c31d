package org.shortrun.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shortrun.InputException;
import org.shortrun.RandomStream;
import org.shortrun.model.LadderGenerator;
import org.shortrun.training.Checkpoint;

/**
 * What each layer of latents controls (the paper's Fig. 5): images in which one layer's latents
 * vary while every other layer stays fixed.
 */
public final class LayerVariation {

    /**
     * The grids written for a checkpoint, one per layer.
     *
     * @param zDims the latent sizes of the layers, top first
     * @param rows base draws per grid
     * @param columns draws of the varied layer per grid
     * @param iteration the checkpoint's training iteration
     * @param files the PNGs, {@code layer-1.png} (the top) first
     */
    public record Grids(int[] zDims, int rows, int columns, long iteration, List<Path> files) {

        /**
         * The JSON line {@code shortrun hierarchy} prints.
         *
         * @return the line's keys and values, in order
         */
        public Map<String, Object> toMap() {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("layers", zDims.length);
            line.put("z_dims", zDims);
            line.put("rows", rows);
            line.put("columns", columns);
            line.put("iteration", iteration);
            line.put("png", files.stream().map(Path::toString).toList());
            return line;
        }
    }

    private LayerVariation() {}

    /**
     * Writes a checkpoint's grids, {@code layer-<l>.png} with l = 1 the top, into a directory.
     * Every layer's draws start from the same seed, so a layer's grid does not depend on how many
     * layers came before it.
     *
     * @param checkpoint the generator to load
     * @param rows base draws per grid
     * @param columns draws of the varied layer per grid
     * @param directory where the PNGs go; created if missing
     * @param seed the seed of each grid's draws
     * @param device the device the generator and the grids go to; null for the engine's default
     * @return the grids written
     * @throws IOException if a PNG cannot be written
     */
    public static Grids writeGrids(
            Checkpoint checkpoint, int rows, int columns, Path directory, long seed, Device device)
            throws IOException {
        if (rows <= 0 || columns <= 0) {
            throw new InputException(
                    "a grid needs rows and columns, got " + rows + " and " + columns);
        }
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new InputException(directory + " is a file, not a directory");
        }
        if (checkpoint.getModelConfig() == null) {
            throw new InputException(
                    "layer-wise variation shows the ladder generator's hierarchy (the paper's Fig."
                            + " 5), and checkpoint "
                            + checkpoint.getDirectory()
                            + " holds another generator");
        }
        Files.createDirectories(directory);
        int[] dims = checkpoint.getModelConfig().getZDims();
        List<Path> files = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            LadderGenerator generator =
                    (LadderGenerator) checkpoint.loadGenerator(checkpoint.newGenerator(), manager);
            ParameterStore store = new ParameterStore(manager, false);
            for (int layer = 0; layer < dims.length; layer++) {
                Path png = directory.resolve("layer-" + (layer + 1) + ".png");
                try (NDManager scope = manager.newSubManager()) {
                    ImageGrid.write(
                            grid(
                                    generator,
                                    store,
                                    layer,
                                    rows,
                                    columns,
                                    scope,
                                    RandomStream.seeded(seed)),
                            columns,
                            png);
                }
                files.add(png);
            }
        }
        return new Grids(dims, rows, columns, checkpoint.getIteration(), List.copyOf(files));
    }

    /**
     * Generates a grid for one layer: row r holds base latents r for every other layer, and column
     * c the same draw c of the varied layer in every row.
     *
     * @param generator the generator
     * @param parameterStore its parameter store
     * @param layer the layer to vary, 0 for the top
     * @param rows base draws
     * @param columns draws of the varied layer
     * @param manager where the draws and images go
     * @param stream where the draws come from
     * @return {@code [rows * columns, c, h, w]}, row-major
     */
    public static NDArray grid(
            LadderGenerator generator,
            ParameterStore parameterStore,
            int layer,
            int rows,
            int columns,
            NDManager manager,
            RandomStream stream) {
        Shape[] shapes = generator.latentShapes(1);
        if (layer < 0 || layer >= shapes.length) {
            throw new IllegalArgumentException("layer " + layer + " of " + shapes.length);
        }
        NDList latents = new NDList();
        for (int l = 0; l < shapes.length; l++) {
            long d = shapes[l].get(1);
            NDArray z;
            if (l == layer) {
                // one draw per column, repeated down the rows
                z = stream.normal(manager, new Shape(1, columns, d)).repeat(0, rows);
            } else {
                // one draw per row, repeated along the columns
                z = stream.normal(manager, new Shape(rows, 1, d)).repeat(1, columns);
            }
            latents.add(z.reshape(rows * columns, d));
        }
        return generator.forward(parameterStore, latents, false).singletonOrThrow();
    }
}
