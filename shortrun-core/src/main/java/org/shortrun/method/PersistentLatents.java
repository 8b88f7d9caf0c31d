package org.shortrun.method;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.shortrun.InputException;
import org.shortrun.model.LatentGenerator;
import org.shortrun.model.Latents;

/**
 * One latent per training example, kept between the example's visits: the persistent chains of
 * alternating back-propagation. Held in the Java heap, outside every per-iteration native scope, as
 * {@code count x d} floats (d the total latent dimension), so that only a batch's rows become
 * NDArrays: 60,000 MNIST images at d = 112 take 26.9 MB, 162,770 CelebA images at the released d =
 * 416 take 271 MB.
 */
public final class PersistentLatents {

    private final List<Shape> shapes;
    private final int[] zDims;
    private final int dimension;
    private final float[] values;

    private PersistentLatents(List<Shape> shapes, float[] values) {
        this.shapes = List.copyOf(shapes);
        this.zDims = Latents.sizes(shapes);
        dimension = Arrays.stream(zDims).sum();
        this.values = values;
    }

    /**
     * Draws every example's starting latent from N(0, I), from a seeded generator.
     *
     * @param count the number of training examples
     * @param shapes the latents' shapes without the batch axis, top first
     * @param seed the seed
     * @return the latents
     */
    public static PersistentLatents drawn(int count, List<Shape> shapes, long seed) {
        int d = Latents.dimension(shapes);
        long size = (long) count * d;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    count
                            + " examples of "
                            + d
                            + " latent dimensions are more than one array holds");
        }
        Random random = new Random(seed);
        float[] values = new float[(int) size];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return new PersistentLatents(shapes, values);
    }

    /**
     * Draws every example's starting code uniformly on the unit sphere of each layer, as GLO
     * starts: N(0, I) draws, each layer's part divided by its norm.
     *
     * @param count the number of training examples
     * @param shapes the latents' shapes without the batch axis, top first
     * @param seed the seed
     * @return the codes
     */
    public static PersistentLatents onSphere(int count, List<Shape> shapes, long seed) {
        PersistentLatents drawn = drawn(count, shapes, seed);
        int[] zDims = drawn.zDims;
        float[] values = drawn.values;
        int d = drawn.dimension;
        for (int r = 0; r < count; r++) {
            int offset = r * d;
            for (int z : zDims) {
                double norm = 0;
                for (int j = 0; j < z; j++) {
                    norm += (double) values[offset + j] * values[offset + j];
                }
                float scale = (float) (1 / Math.sqrt(norm));
                for (int j = 0; j < z; j++) {
                    values[offset + j] *= scale;
                }
                offset += z;
            }
        }
        return drawn;
    }

    /**
     * @return the dimension of one example's latents, all layers together
     */
    public int dimension() {
        return dimension;
    }

    /**
     * The latents a method keeps for a training set: drawn from the seed the first time, checked
     * against the set's size after a checkpoint restored them.
     *
     * @param existing the latents kept so far, or null
     * @param count the number of training examples
     * @param generator the generator whose latents they are
     * @param seed the run's seed
     * @param onSphere whether every latent of every example starts on the unit sphere (GLO's codes)
     *     rather than as drawn
     * @return the latents
     * @throws InputException if restored latents are for another number of examples
     */
    static PersistentLatents prepare(
            PersistentLatents existing,
            int count,
            LatentGenerator generator,
            long seed,
            boolean onSphere) {
        if (existing == null) {
            List<Shape> shapes = generator.getLatentShapes();
            return onSphere ? onSphere(count, shapes, seed) : drawn(count, shapes, seed);
        }
        if (existing.count() != count) {
            throw new InputException(
                    "the checkpoint keeps persistent latents for "
                            + existing.count()
                            + " training examples, but the data has "
                            + count);
        }
        return existing;
    }

    /**
     * @return the latent dimension of every layer, top first
     */
    public int[] zDims() {
        return zDims.clone();
    }

    /**
     * @return the latents' shapes, without the batch axis
     */
    public List<Shape> shapes() {
        return shapes;
    }

    /** The values, example after example; not a copy. */
    float[] values() {
        return values;
    }

    /**
     * @return the number of examples
     */
    public int count() {
        return values.length / dimension;
    }

    /**
     * The latents of some examples, one array per layer, top first.
     *
     * @param manager the manager the arrays go to
     * @param indices the examples
     * @return per layer {@code [n, z_dim]}
     */
    public NDList gather(NDManager manager, int[] indices) {
        NDList layers = new NDList(zDims.length);
        int offset = 0;
        for (int l = 0; l < zDims.length; l++) {
            int z = zDims[l];
            float[] rows = new float[indices.length * z];
            for (int r = 0; r < indices.length; r++) {
                System.arraycopy(values, indices[r] * dimension + offset, rows, r * z, z);
            }
            layers.add(manager.create(rows, new Shape(indices.length).addAll(shapes.get(l))));
            offset += z;
        }
        return layers;
    }

    /**
     * Keeps new latents for some examples.
     *
     * @param indices the examples
     * @param latents per layer {@code [n, z_dim]}, top first
     */
    public void scatter(int[] indices, NDList latents) {
        int offset = 0;
        for (int l = 0; l < zDims.length; l++) {
            int z = zDims[l];
            float[] rows = latents.get(l).toFloatArray();
            for (int r = 0; r < indices.length; r++) {
                System.arraycopy(rows, r * z, values, indices[r] * dimension + offset, z);
            }
            offset += z;
        }
    }

    /**
     * Whether every latent is finite.
     *
     * @return true if none is NaN or infinite
     */
    public boolean isFinite() {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes the count and the values.
     *
     * @param out the stream
     * @throws IOException if writing fails
     */
    public void write(DataOutputStream out) throws IOException {
        out.writeInt(count());
        out.writeInt(dimension);
        for (float v : values) {
            out.writeFloat(v);
        }
    }

    /**
     * Reads latents written by {@link #write}, after checking that the stream holds what its header
     * says.
     *
     * @param in the stream
     * @param shapes the model's latent shapes
     * @param available the bytes the stream holds
     * @return the latents
     * @throws IOException if the header does not match the model or the stream's length
     */
    public static PersistentLatents read(DataInputStream in, List<Shape> shapes, long available)
            throws IOException {
        int count = in.readInt();
        int dimension = in.readInt();
        int d = Latents.dimension(shapes);
        if (dimension != d
                || count < 0
                || (long) count * d * Float.BYTES != available - 2L * Integer.BYTES) {
            throw new IOException(
                    "persistent latents of "
                            + count
                            + " x "
                            + dimension
                            + " do not match the model's "
                            + d
                            + " dimensions and the file's "
                            + available
                            + " bytes");
        }
        float[] values = new float[count * d];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readFloat();
        }
        return new PersistentLatents(shapes, values);
    }
}
