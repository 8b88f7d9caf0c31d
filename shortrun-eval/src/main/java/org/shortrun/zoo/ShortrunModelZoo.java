package org.shortrun.zoo;

import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The shortrun model zoo, group id {@value ShortrunModels#GROUP_ID}: trained runs on disk loaded as
 * DJL models. {@link ShortrunZooProvider} registers an instance that takes the directory from the
 * criteria argument {@value ShortrunModels#MODEL_PATH_ARGUMENT}; {@link #of} makes one bound to a
 * directory for {@code Criteria.Builder.optModelZoo}.
 */
public final class ShortrunModelZoo extends ModelZoo {

    private final ShortrunModelLoader loader;

    /** Creates the zoo that reads the directory from the criteria's arguments. */
    public ShortrunModelZoo() {
        this(null);
    }

    private ShortrunModelZoo(Path directory) {
        loader = new ShortrunModelLoader(directory);
    }

    /**
     * Creates a zoo that loads one run.
     *
     * @param directory a run directory or its {@code checkpoint/}
     * @return the zoo
     */
    public static ShortrunModelZoo of(Path directory) {
        return new ShortrunModelZoo(directory);
    }

    /** {@inheritDoc} */
    @Override
    public String getGroupId() {
        return ShortrunModels.GROUP_ID;
    }

    /** {@inheritDoc} */
    @Override
    public List<ModelLoader> getModelLoaders() {
        return List.of(loader);
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }
}
