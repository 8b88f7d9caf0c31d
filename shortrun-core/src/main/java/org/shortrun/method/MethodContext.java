package org.shortrun.method;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.shortrun.RandomStream;
import org.shortrun.model.LatentGenerator;

/**
 * What a learning method's state is built with.
 *
 * @param generator the generator it learns, initialised
 * @param parameterStore the store the generator and the method's blocks read their parameters from
 * @param manager the manager that owns the method's parameters and arrays
 * @param initial where its blocks' initial values are drawn from, after the generator's
 * @param batchSize the batch size its blocks are initialised at
 * @param seed the run's seed, for what the method draws once (persistent latents)
 */
public record MethodContext(
        LatentGenerator generator,
        ParameterStore parameterStore,
        NDManager manager,
        RandomStream initial,
        int batchSize,
        long seed) {}
