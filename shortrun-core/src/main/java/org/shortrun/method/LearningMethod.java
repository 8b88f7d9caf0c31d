package org.shortrun.method;

import java.util.List;
import org.shortrun.model.LatentGenerator;

/**
 * A way of learning a latent-variable generator from images: how a batch's latents are inferred,
 * what loss the parameters descend, what the method learns and keeps beside the generator, and how
 * it infers held-out images and draws from its prior. Immutable: its fields are its options, saved
 * with every run as JSON ({@link Methods}); a run's changing state lives in the {@link MethodState}
 * it makes.
 *
 * <p>A new method is one class that implements this (and a {@link MethodState}), and one line of
 * registration: {@link Methods#register}.
 */
public interface LearningMethod {

    /**
     * Returns the name the method is registered and saved under.
     *
     * @return the name, e.g. {@code "shortrun"}
     */
    String getName();

    /**
     * Checks the options, as builders do and as reading saved settings does.
     *
     * @throws IllegalArgumentException naming the first option out of range
     */
    void validate();

    /**
     * Refuses a generator the method cannot learn, before anything is built.
     *
     * @param generator the generator
     * @throws org.shortrun.InputException in one line, if the method cannot learn it
     */
    default void checkCompatible(LatentGenerator generator) {}

    /**
     * Whether the method's options {@code steps} and {@code stepSize}, where it has them, are the K
     * and s of its inference (Langevin dynamics, GLO's code search), which a table holds fixed
     * across methods; another method's options of those names are its own (the Langevin
     * autoencoders' updates of W).
     *
     * @return false by default
     */
    default boolean infersInSteps() {
        return false;
    }

    /**
     * The observation noise sigma the method was published with, a run's default when it names the
     * method.
     *
     * @return sigma; 0.15, the paper's, unless the method's authors took another
     */
    default float getPublishedSigma() {
        return 0.15f;
    }

    /**
     * The files the method's state adds to a checkpoint, besides the generator's parameters and the
     * optimiser's state.
     *
     * @return the file names; none by default
     */
    default List<String> getCheckpointFiles() {
        return List.of();
    }

    /**
     * How each option is named in a message, for example when a resumed run asks for another value.
     *
     * @param option the option's JSON name
     * @return its name in words; the JSON name by default
     */
    default String describeOption(String option) {
        return option;
    }

    /**
     * Makes the state of one run of the method on a generator: its blocks, initialised from the
     * context's stream after the generator, and whatever else it keeps.
     *
     * @param context the generator, the store, the manager and the draws
     * @return the state
     */
    MethodState newState(MethodContext context);
}
