package org.shortrun.cli;

import org.shortrun.InputException;
import org.shortrun.training.DivergenceException;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code shortrun} command: its subcommands, and how failures reach the user. */
@Command(
        name = "shortrun",
        mixinStandardHelpOptions = true,
        version = "shortrun " + ShortrunCommand.VERSION + " (DJL 0.32.0, PyTorch 2.5.1)",
        description = "Multi-layer latent variable models learned with short-run Langevin inference.",
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
            StepsizeCommand.class
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
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: demo, train, sample, reconstruct, inpaint, hierarchy, fid, table, stepsize, bench or prepare");
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
        CommandLine cli = new CommandLine(new ShortrunCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(
                (ex, arguments) -> {
                    PrintWriter err = ex.getCommandLine().getErr();
                    err.println(ex.getCommandLine().getCommandSpec().qualifiedName() + ": error: " + ex.getMessage().replace('\n', ' '));
                    err.flush();
                    return BAD_INPUT;
                });
        cli.setExecutionExceptionHandler(
                (ex, commandLine, parseResult) -> {
                    PrintWriter err = commandLine.getErr();
                    InputException input = findInputException(ex);
                    if (input != null) {
                        err.println(commandLine.getCommandSpec().qualifiedName() + ": error: " + input.getMessage().replace('\n', ' '));
                        err.flush();
                        return BAD_INPUT;
                    }
                    if (ex instanceof DivergenceException) {
                        err.println(commandLine.getCommandSpec().qualifiedName() + ": failed: " + ex.getMessage());
                        err.flush();
                        return 1;
                    }
                    err.println(commandLine.getCommandSpec().qualifiedName() + ": failed: " + ex);
                    ex.printStackTrace(err);
                    err.flush();
                    return 1;
                });
        return cli.execute(args);
    }

    private static InputException findInputException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InputException) {
                return (InputException) c;
            }
        }
        return null;
    }
}
