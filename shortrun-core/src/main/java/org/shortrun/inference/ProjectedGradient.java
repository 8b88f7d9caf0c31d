package org.shortrun.inference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.shortrun.model.LatentGenerator;

/**
 * GLO's code update (Bojanowski et al. 2018): a gradient step on the summed squared error, then
 * each layer's code back onto the unit sphere,
 *
 * <pre>
 *   z = z - rate * d/dz ||x - g(z)||^2
 *   z = z / ||z||
 * </pre>
 *
 * <p>Training takes one such step per visit of an example, together with the generator's update; a
 * held-out image's code takes {@link #infer K steps} with the generator fixed.
 */
public final class ProjectedGradient {

    private final int steps;
    private final float rate;

    /**
     * Creates the update.
     *
     * @param steps K, the steps {@link #infer} takes
     * @param rate the step size on the summed squared error's gradient
     */
    public ProjectedGradient(int steps, float rate) {
        if (steps <= 0 || !(rate > 0) || !Float.isFinite(rate)) {
            throw new IllegalArgumentException(
                    "steps and rate must be positive, got " + steps + " and " + rate);
        }
        this.steps = steps;
        this.rate = rate;
    }

    /**
     * @return K, the steps of {@link #infer}
     */
    public int getSteps() {
        return steps;
    }

    /**
     * @return the step size
     */
    public float getRate() {
        return rate;
    }

    /**
     * Takes one step from codes whose gradients autograd has computed; outside any graph.
     *
     * @param codes the codes, top first, each {@code [n, z_l]}, with gradients
     * @param manager the manager the new codes go to
     * @return the stepped and projected codes
     */
    public NDList step(NDList codes, NDManager manager) {
        NDList next = new NDList(codes.size());
        for (NDArray code : codes) {
            NDArray projected = onSphere(code.sub(code.getGradient().mul(rate)));
            projected.attach(manager);
            next.add(projected);
        }
        return next;
    }

    /**
     * Projects every row of a code onto the unit sphere.
     *
     * @param code {@code [n, z]}
     * @return the rows divided by their norms, in the code's manager
     */
    public static NDArray onSphere(NDArray code) {
        int[] axes = new int[code.getShape().dimension() - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        return code.div(code.norm(axes, true).maximum(1e-12f));
    }

    /**
     * Finds the codes of held-out images: K steps from the given start, the generator fixed.
     *
     * @param generator the generator; its parameters are left untouched
     * @param parameterStore the store it reads its parameters from
     * @param x the images; the codes go to their manager
     * @param start the starting codes, top first; projected before the first step
     * @return the codes after K steps
     */
    public NDList infer(
            LatentGenerator generator, ParameterStore parameterStore, NDArray x, NDList start) {
        NDManager manager = x.getManager();
        NDList codes = new NDList(start.size());
        for (NDArray code : start) {
            NDArray projected = onSphere(code);
            projected.attach(manager);
            codes.add(projected);
        }
        generator.freezeParameters(true);
        try {
            for (int k = 0; k < steps; k++) {
                try (NDManager step = manager.newSubManager()) {
                    codes.attach(step);
                    // the residual is made in x's manager; lent to the step's, it closes with it
                    x.tempAttach(step);
                    for (NDArray code : codes) {
                        code.setRequiresGradient(true);
                    }
                    try (GradientCollector collector =
                            Engine.getInstance().newGradientCollector()) {
                        collector.backward(
                                x.sub(
                                                generator
                                                        .forward(parameterStore, codes, true)
                                                        .singletonOrThrow())
                                        .square()
                                        .sum());
                    }
                    codes = step(codes, manager);
                }
            }
        } finally {
            generator.freezeParameters(false);
        }
        return codes;
    }
}
