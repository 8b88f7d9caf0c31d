package org.shortrun.training;

import com.google.gson.Gson;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shortrun.stepsize.StepSizeProblem;

/** Writes stepsize.jsonl: a JSON object per step-size search, with every estimate it made. */
final class StepSizeLog extends RunLog {

    private static final Gson GSON = new Gson();

    StepSizeLog(Path output, long resumedAt) {
        super(output.resolve(TrainingJob.STEP_SIZE_LOG), resumedAt);
    }

    /** The search before iteration {@code resumedAt} ran after the checkpoint; it runs again. */
    @Override
    boolean keepsOnResume(String line, long resumedAt) {
        return JsonParser.parseString(line).getAsJsonObject().get("iteration").getAsLong()
                < resumedAt;
    }

    /** {@inheritDoc} */
    @Override
    public void onStepSizeSearch(TrainingJob.StepSizeSearchRecord record) throws IOException {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("iteration", record.iteration());
        line.put("previous", record.previous());
        line.put("chosen", record.chosen());
        if (record.isPerStep()) {
            line.put("previous_per_step", record.previousStepSizes());
            line.put("chosen_per_step", record.chosenStepSizes());
        }
        line.put("found", record.result().best() != null);
        line.put("seconds", record.seconds());
        List<Map<String, Object>> estimates = new ArrayList<>();
        for (StepSizeProblem.Estimate e : record.result().trace()) {
            estimates.add(e.toMap());
        }
        line.put("estimates", estimates);
        write(GSON.toJson(line));
    }
}
