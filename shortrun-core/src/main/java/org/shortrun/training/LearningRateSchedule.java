package org.shortrun.training;

import org.shortrun.Schedule;

/** The named learning-rate schedules. */
public enum LearningRateSchedule {
    /**
     * The released script: the base rate (8e-5 by default) halved at epochs 50, 100 and 300 of 400
     * iterations each (iterations 20k, 40k and 120k).
     */
    RELEASED(8e-5) {
        @Override
        public Schedule create(double base) {
            return Schedule.piecewise(
                    new double[] {base, base / 2, base / 4, base / 8},
                    new long[] {20_000, 40_000, 120_000});
        }
    },
    /** The paper's appendix: 1e-4, 5e-5 and 1e-5, changing every 1e5 iterations. */
    PAPER(1e-4) {
        @Override
        public Schedule create(double base) {
            return Schedule.piecewise(
                    new double[] {base, base / 2, base / 10}, new long[] {100_000, 200_000});
        }
    },
    /** The base rate throughout. */
    CONSTANT(8e-5) {
        @Override
        public Schedule create(double base) {
            return Schedule.constant(base);
        }
    };

    private final double defaultBase;

    LearningRateSchedule(double defaultBase) {
        this.defaultBase = defaultBase;
    }

    /**
     * Returns the base rate used when none is given.
     *
     * @return the default base rate
     */
    public double getDefaultBase() {
        return defaultBase;
    }

    /**
     * Creates the schedule scaled to a base rate.
     *
     * @param base the rate at iteration 0
     * @return the schedule
     */
    public abstract Schedule create(double base);
}
