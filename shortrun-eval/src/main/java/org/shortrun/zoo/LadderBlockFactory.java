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
 * .optArgument("blockFactory", LadderBlockFactory.class.getName())
 * .optOption("hasParameter", "false")
 * </pre>
 *
 * <p>The parameters are read by the checkpoint (checksums verified) when the block is made, and the
 * model gets the same properties as through {@link ShortrunModelZoo}. The block is always the
 * generator: a block factory is not told the criteria's input type, so a Langevin autoencoder (lae,
 * clae) loaded this way has no encoder, and reconstruction and anomaly scores infer its latents by
 * short-run Langevin dynamics like any other model's. Load it through {@link ShortrunModelZoo} to
 * infer with its encoder.
 */
public final class LadderBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** Creates the factory. */
    public LadderBlockFactory() {}

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        ShortrunModels.load(model, modelPath);
        return model.getBlock();
    }
}
