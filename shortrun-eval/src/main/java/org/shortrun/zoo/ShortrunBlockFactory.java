package org.shortrun.zoo;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Lets DJL's own loader open a shortrun run given with {@code Criteria.Builder.optModelPath}: DJL
 * 0.32 answers {@code optModelPath} with its local zoo, whose loader builds the block through the
 * criteria argument {@code blockFactory} and then looks for a DJL parameter file, which a run does
 * not have. So a criteria names this class and turns that look-up off:
 *
 * <pre>
 * .optModelPath(runDir)
 * .optArgument("blockFactory", ShortrunBlockFactory.class.getName())
 * .optOption("hasParameter", "false")
 * </pre>
 *
 * <p>The parameters are read by the checkpoint (checksums verified) when the block is made, and the
 * model gets the same block, a {@link org.shortrun.method.LatentModel}, and the same properties as
 * through {@link ShortrunModelZoo}. A run of the ladder generator only: DJL's loader gives a block
 * factory no block of the user's own, so load a run of another generator through {@link
 * ShortrunModelZoo} with {@code Criteria.optBlock}.
 */
public final class ShortrunBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** Creates the factory. */
    public ShortrunBlockFactory() {}

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        ShortrunModels.load(model, modelPath);
        return model.getBlock();
    }
}
