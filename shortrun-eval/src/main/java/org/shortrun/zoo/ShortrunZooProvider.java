package org.shortrun.zoo;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers {@link ShortrunModelZoo} with DJL through {@code META-INF/services}. */
public final class ShortrunZooProvider implements ZooProvider {

    /** Creates the provider. */
    public ShortrunZooProvider() {}

    /** {@inheritDoc} */
    @Override
    public ModelZoo getModelZoo() {
        return new ShortrunModelZoo();
    }
}
