package org.shortrun.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import java.util.Map;

/** One-line JSON output, the form scripts read the command's results in. */
final class Json {

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private Json() {}

    /** The JSON tree of a value, as {@link #print} would write it. */
    static JsonElement tree(Object value) {
        return GSON.toJsonTree(value);
    }

    static void print(Map<String, ?> fields) {
        System.out.println(GSON.toJson(fields));
        System.out.flush();
    }
}
