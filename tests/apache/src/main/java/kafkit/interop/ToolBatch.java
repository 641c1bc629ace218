package kafkit.interop;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.common.utils.internals.Exit;

/**
 * Runs many invocations of one of Apache's command-line tools in this one JVM, so golden tests
 * pay for one JVM start-up per batch instead of one per command line. Each invocation calls the
 * tool's real {@code main} with its own arguments, with {@code System.out} and
 * {@code System.err} captured and {@link Exit} turned into an exception: what it prints and the
 * exit code it asks for are exactly what {@code kafka-topics.sh ...} would give, minus the JVM
 * start-up. log4j is initialised before any capture, so its records go to this JVM's real
 * stderr (golden comparisons drop log lines anyway).
 *
 * <p>Usage: {@code ToolBatch <main-class>}; stdin holds one command per line, each argument as
 * {@code '-'} followed by its base64 (UTF-8), arguments separated by one space; a token
 * {@code '<'} followed by base64 is that invocation's standard input (empty input otherwise).
 * For each command, stdout gets three lines: {@code exit <code>}, the base64 of what it printed
 * to stdout, the base64 of what it printed to stderr. Only the first exit counts: a tool that
 * catches the exit exception and exits again (TopicCommand's {@code finally}) prints nothing
 * more that is kept.
 *
 * <p>Shutdown hooks a tool registers through {@link Exit#addShutdownHook} run when its
 * invocation ends, as they would when its own JVM exits: ConsoleProducer's hook is what
 * flushes and closes its producer.
 */
public final class ToolBatch {
    private static final int EXIT_USAGE = 2;

    /** Thrown instead of exiting the JVM. */
    private static final class ToolExit extends RuntimeException {
        ToolExit() {
            super(null, null, false, false);
        }
    }

    /** One invocation: its arguments and its standard input. */
    private static final class Invocation {
        final List<String> args = new ArrayList<>();
        byte[] stdin = new byte[0];
    }

    /** One invocation's capture: output is kept until the tool first asks to exit. */
    private static final class Capture {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        volatile Integer exitCode;

        PrintStream stream(ByteArrayOutputStream target) {
            OutputStream gate = new OutputStream() {
                @Override
                public void write(int b) {
                    if (exitCode == null) {
                        synchronized (target) {
                            target.write(b);
                        }
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    if (exitCode == null) {
                        synchronized (target) {
                            target.write(b, off, len);
                        }
                    }
                }
            };
            return new PrintStream(gate, true, StandardCharsets.UTF_8);
        }
    }

    private ToolBatch() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ToolBatch <main-class>");
            System.exit(EXIT_USAGE);
        }
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        // Initialise logging now, bound to the real stderr, not to the first capture.
        // (slf4j is a runtime dependency only, hence reflection.)
        Class.forName("org.slf4j.LoggerFactory")
            .getMethod("getLogger", Class.class)
            .invoke(null, ToolBatch.class);
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        InputStream realIn = System.in;
        BufferedReader input =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = input.readLine()) != null) {
            Invocation invocation = decode(line);
            String[] toolArgs = invocation.args.toArray(new String[0]);
            Capture capture = new Capture();
            List<Runnable> hooks = new ArrayList<>();
            Exit.setShutdownHookAdder((name, hook) -> hooks.add(hook));
            Exit.setExitProcedure((code, message) -> {
                if (capture.exitCode == null) {
                    capture.exitCode = code;
                }
                throw new ToolExit();
            });
            Exit.setHaltProcedure((code, message) -> {
                if (capture.exitCode == null) {
                    capture.exitCode = code;
                }
                throw new ToolExit();
            });
            System.setOut(capture.stream(capture.out));
            System.setErr(capture.stream(capture.err));
            System.setIn(new ByteArrayInputStream(invocation.stdin));
            try {
                main.invoke(null, (Object) toolArgs);
            } catch (InvocationTargetException e) {
                if (!(e.getCause() instanceof ToolExit) && capture.exitCode == null) {
                    // What the JVM does with an uncaught exception: trace on stderr, exit 1.
                    e.getCause().printStackTrace();
                    capture.exitCode = 1;
                }
            } finally {
                runHooks(hooks);
                System.out.flush();
                System.err.flush();
                System.setOut(realOut);
                System.setErr(realErr);
                System.setIn(realIn);
                Exit.resetExitProcedure();
                Exit.resetHaltProcedure();
                Exit.resetShutdownHookAdder();
            }
            int code = capture.exitCode == null ? 0 : capture.exitCode;
            Base64.Encoder base64 = Base64.getEncoder();
            realOut.println("exit " + code);
            realOut.println(base64.encodeToString(capture.out.toByteArray()));
            realOut.println(base64.encodeToString(capture.err.toByteArray()));
            realOut.flush();
        }
        // Past any client threads a tool left behind.
        System.exit(0);
    }

    /** Runs the hooks of one invocation in order; a failing hook is reported, not fatal. */
    private static void runHooks(List<Runnable> hooks) {
        for (Runnable hook : hooks) {
            try {
                hook.run();
            } catch (Throwable t) {
                t.printStackTrace();
            }
        }
    }

    private static Invocation decode(String line) {
        Invocation invocation = new Invocation();
        if (!line.isEmpty()) {
            for (String token : line.split(" ", -1)) {
                byte[] bytes = Base64.getDecoder().decode(token.substring(1));
                if (token.startsWith("<")) {
                    invocation.stdin = bytes;
                } else {
                    invocation.args.add(new String(bytes, StandardCharsets.UTF_8));
                }
            }
        }
        return invocation;
    }
}
