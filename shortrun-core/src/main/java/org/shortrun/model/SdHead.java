package org.shortrun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** How a Gaussian head turns its raw output into a standard deviation. */
public enum SdHead {
    /**
     * The released script: {@code sd = exp(0.5 * clamp(softplus(v) + 1e-8, 0, 10))}, never below 1.
     * The reproduction default.
     */
    RELEASED {
        @Override
        NDArray toSd(NDArray raw) {
            // exp(v / 2) as sqrt(exp(v)): a graph must not multiply by a Java number (see
            // docs/DESIGN.md); addition and clip do not keep their scalar for backward.
            return Activation.softPlus(raw).add(1e-8f).clip(0f, 10f).exp().sqrt();
        }
    },
    /** {@code sd = softplus(v) + 1e-3}: a standard deviation that can go below 1. */
    SOFTPLUS {
        @Override
        NDArray toSd(NDArray raw) {
            return Activation.softPlus(raw).add(1e-3f);
        }
    };

    abstract NDArray toSd(NDArray raw);
}
