package org.shortrun.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.shortrun.DivergenceException;
import org.shortrun.InputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code shortrun} command: its subcommands, and how failures reach the user. */
@Command(
        name = "shortrun",
        resourceBundle = "org.shortrun.cli.Help",
        mixinStandardHelpOptions = true,
        version = "shortrun " + ShortrunCommand.VERSION + " (DJL 0.32.0, PyTorch 2.5.1)",
        subcommands = {
            DemoCommand.class,
            TrainCommand.class,
            SampleCommand.class,
            ReconstructCommand.class,
            BenchCommand.class,
            PrepareCommand.class,
            InpaintCommand.class,
            HierarchyCommand.class,
            FidCommand.class,
            TableCommand.class,
            StepsizeCommand.class,
            AnomalyCommand.class
        })
public final class ShortrunCommand implements Runnable {

    /** This build's version, as config.json records it. */
    public static final String VERSION = "0.1.0-SNAPSHOT";

    /** Exit code for input the command cannot use. */
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** {@inheritDoc} */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "name a subcommand: " + String.join(", ", spec.subcommands().keySet()));
    }

    /**
     * Runs the command and exits with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command and returns its exit code: 0 on success, 2 for bad input, 1 for other
     * failures.
     *
     * @param args the arguments
     * @return the exit code
     */
    public static int execute(String... args) {
        CommandLine cli =
                new CommandLine(new ShortrunCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cli.getSubcommands()
                .values()
                .forEach(c -> c.getCommandSpec().usageMessage().showDefaultValues(true));
        cli.setParameterExceptionHandler(
                (ex, arguments) ->
                        fail(ex.getCommandLine(), "error: " + ex.getMessage(), BAD_INPUT));
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> report(commandLine, ex));
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // picocli passes only Exceptions to the handler; these reach here
            return report(cli, e);
        }
    }

    /**
     * Reports a failure in one line: the user's own input, a file that cannot be written or read (a
     * full disk, a read-only directory) and a divergence end the command without a stack trace;
     * only an unforeseen exception, a bug, prints one.
     */
    private static int report(CommandLine commandLine, Throwable ex) {
        InputException input = find(ex, InputException.class);
        if (input != null) {
            return fail(commandLine, "error: " + input.getMessage(), BAD_INPUT);
        }
        IOException io = find(ex, IOException.class);
        if (io != null) {
            // our writers name the file in the message, and so does every FileSystemException
            return fail(commandLine, "error: " + io.getMessage(), BAD_INPUT);
        }
        if (ex instanceof DivergenceException) {
            return fail(commandLine, "failed: " + ex.getMessage(), 1);
        }
        if (ex instanceof OutOfMemoryError) {
            return fail(
                    commandLine,
                    "failed: out of memory ("
                            + ex.getMessage()
                            + "); give Java more with JAVA_OPTS=-Xmx8g, or use a smaller batch",
                    1);
        }
        if (ex instanceof StackOverflowError) {
            return fail(commandLine, "failed: stack overflow; an input nested too deeply?", 1);
        }
        PrintWriter err = commandLine.getErr();
        err.println(commandLine.getCommandSpec().qualifiedName() + ": failed: " + ex);
        ex.printStackTrace(err);
        err.flush();
        return 1;
    }

    private static int fail(CommandLine commandLine, String message, int code) {
        PrintWriter err = commandLine.getErr();
        err.println(
                commandLine.getCommandSpec().qualifiedName() + ": " + message.replace('\n', ' '));
        err.flush();
        return code;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
