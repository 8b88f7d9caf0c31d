package org.shortrun;

import ai.djl.training.tracker.Tracker;
import java.util.Arrays;

/**
 * A value that changes with the training iteration: a learning rate, or sigma. It is a DJL {@link
 * Tracker}, so a schedule can drive DJL's own optimisers, and any function of the iteration can be
 * one.
 */
@FunctionalInterface
public interface Schedule extends Tracker {

    /**
     * Returns the value at an iteration (0-based).
     *
     * @param iteration the iteration
     * @return the value
     */
    double valueAt(long iteration);

    /**
     * The value at DJL's update count, which counts iterations from 0 as {@link #valueAt} does.
     *
     * @param numUpdate the update count
     * @return the value, in single precision
     */
    @Override
    default float getNewValue(int numUpdate) {
        return (float) valueAt(numUpdate);
    }

    /**
     * A schedule that never changes.
     *
     * @param value the value
     * @return the schedule
     */
    static Schedule constant(double value) {
        return iteration -> value;
    }

    /**
     * A piecewise-constant schedule: {@code values[i]} from {@code boundaries[i-1]} (inclusive) to
     * {@code boundaries[i]}.
     *
     * @param values one more value than boundaries
     * @param boundaries increasing iterations at which the value changes
     * @return the schedule
     */
    static Schedule piecewise(double[] values, long[] boundaries) {
        if (values.length != boundaries.length + 1) {
            throw new IllegalArgumentException("need one more value than boundaries");
        }
        double[] v = values.clone();
        long[] b = boundaries.clone();
        return iteration -> {
            int i = Arrays.binarySearch(b, iteration);
            return v[i >= 0 ? i + 1 : -i - 1];
        };
    }

    /**
     * A linear change from {@code start} to {@code end} over {@code iterations}, then {@code end}.
     *
     * @param start the value at iteration 0
     * @param end the value from {@code iterations} on
     * @param iterations the length of the ramp
     * @return the schedule
     */
    static Schedule linear(double start, double end, long iterations) {
        return iteration ->
                iteration >= iterations
                        ? end
                        : start + (end - start) * iteration / (double) iterations;
    }
}
