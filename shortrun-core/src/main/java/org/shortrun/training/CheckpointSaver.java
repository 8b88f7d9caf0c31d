package org.shortrun.training;

import java.io.IOException;
import java.nio.file.Path;

/** Saves the learner to checkpoint/ every N iterations and at the end. */
final class CheckpointSaver implements TrainingJob.Listener {

    private final Learner learner;
    private final Path output;
    private final long end;
    private Long savedAt;

    CheckpointSaver(Learner learner, Path output, long end) {
        this.learner = learner;
        this.output = output;
        this.end = end;
        // a run resumed from its own output starts at the checkpoint it was restored from
        savedAt = Checkpoint.exists(output) ? learner.getIteration() : null;
    }

    /** The iteration of the last checkpoint in the output, or null if there is none. */
    Long savedAt() {
        return savedAt;
    }

    /** {@inheritDoc} */
    @Override
    public void onIteration(IterationStats stats) throws IOException {
        long every = learner.getConfig().getCheckpointEvery();
        long done = learner.getIteration();
        if (done == end || (every > 0 && done % every == 0)) {
            Checkpoint.save(learner, output.resolve(Checkpoint.DIRECTORY));
            savedAt = done;
        }
    }
}
