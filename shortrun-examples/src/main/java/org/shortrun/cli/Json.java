package org.shortrun.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import java.util.Map;

/** One-line JSON output, the form scripts read the command's results in. */
final class Json {

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private Json() {}

    static void print(Map<String, ?> fields) {
        System.out.println(GSON.toJson(fields));
        System.out.flush();
    }
}
