package org.shortrun.method;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.DataInputStream;
import java.io.IOException;
import org.shortrun.io.SealedFile;

/** The files of a checkpoint that a learning method keeps its state in, by name. */
public interface StateFiles {

    /**
     * Writes a file of the checkpoint being saved.
     *
     * @param name its name, one of the method's {@link LearningMethod#getCheckpointFiles}
     * @param body what writes its content
     * @throws IOException if it cannot be written
     */
    void write(String name, SealedFile.Body body) throws IOException;

    /**
     * Opens a file of the checkpoint being loaded, whose SHA-256 has been checked.
     *
     * @param name its name, one of the method's {@link LearningMethod#getCheckpointFiles}
     * @return the stream; the caller closes it
     * @throws IOException if it cannot be read
     */
    DataInputStream read(String name) throws IOException;

    /**
     * Returns the size of a file of the checkpoint being loaded.
     *
     * @param name its name
     * @return its size in bytes
     * @throws IOException if it cannot be read
     */
    long size(String name) throws IOException;

    /**
     * Replaces a block's parameters by those saved in a file, leaving them unfrozen.
     *
     * @param name the file, written by {@code block.saveParameters}
     * @param block the block, initialised
     * @param manager the manager the parameters go to
     * @throws IOException if the file cannot be read or holds other parameters
     */
    void loadParameters(String name, Block block, NDManager manager) throws IOException;

    /**
     * Writes a block's parameters to a file.
     *
     * @param name the file
     * @param block the block
     * @throws IOException if it cannot be written
     */
    default void saveParameters(String name, Block block) throws IOException {
        write(name, block::saveParameters);
    }
}
