package kafkit.interop;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * A Java agent that ties a JVM started by a Rust test (Apache's broker, a tool, the interop
 * driver) to the life of the test process: no JVM may outlive the test run, even when the test
 * process is killed. As an agent it leaves the main class, its arguments, its stdin (the console
 * producer reads it) and its stack traces exactly as without it.
 *
 * <p>{@code -javaagent:supervise.jar[=parent=<pid>][,stdin][,cleanup=<dir>]}:
 * <ul>
 *   <li>always: when the launching process is gone, halt. That is {@code parent=<pid>} as the
 *       launcher gave it (it may already have died while this JVM started), else whatever
 *       parent this JVM has when the agent starts;</li>
 *   <li>{@code stdin}: the parent holds our stdin open as a control pipe. A line {@code stop}
 *       asks for a clean shutdown ({@code System.exit}, which runs Kafka's shutdown hook); end
 *       of input means the parent is gone: halt at once;</li>
 *   <li>{@code cleanup=<dir>}: before halting as an orphan, delete that directory, since nobody
 *       is left to do it.</li>
 * </ul>
 * Halting skips shutdown hooks on purpose: nobody waits for a clean shutdown any more.
 */
public final class ParentWatch {
    private static final int EXIT_CLEAN = 0;
    private static final int EXIT_ORPHANED = 143;
    private static final long PARENT_POLL_MS = 250;

    private ParentWatch() {}

    public static void premain(String agentArgs) {
        boolean stdin = false;
        String cleanup = null;
        long parent = -1;
        for (String arg : (agentArgs == null ? "" : agentArgs).split(",")) {
            if (arg.equals("stdin")) {
                stdin = true;
            } else if (arg.startsWith("cleanup=")) {
                cleanup = arg.substring("cleanup=".length());
            } else if (arg.startsWith("parent=")) {
                parent = Long.parseLong(arg.substring("parent=".length()));
            }
        }
        String dir = cleanup;
        long expected = parent;
        daemon("kafkit-parent-watch", () -> watchParent(expected, dir));
        if (stdin) {
            daemon("kafkit-stdin-watch", () -> watchStdin(dir));
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void watchParent(long pid, String cleanup) {
        // A handle remembers the process's start time, so a recycled pid does not fool it.
        Optional<ProcessHandle> parent =
            pid >= 0 ? ProcessHandle.of(pid) : ProcessHandle.current().parent();
        while (parent.isPresent() && parent.get().isAlive()) {
            try {
                Thread.sleep(PARENT_POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
        orphaned(cleanup);
    }

    private static void watchStdin(String cleanup) {
        InputStream in = System.in;
        StringBuilder line = new StringBuilder();
        try {
            int b;
            while ((b = in.read()) != -1) {
                if (b != '\n') {
                    line.append((char) b);
                    continue;
                }
                if (line.toString().trim().equals("stop")) {
                    System.exit(EXIT_CLEAN);
                }
                line.setLength(0);
            }
        } catch (IOException e) {
            // A broken pipe means the same as end of input: the parent is gone.
        }
        orphaned(cleanup);
    }

    private static synchronized void orphaned(String cleanup) {
        if (cleanup != null) {
            deleteQuietly(Paths.get(cleanup));
        }
        Runtime.getRuntime().halt(EXIT_ORPHANED);
    }

    private static void deleteQuietly(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<Path>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    file.toFile().delete();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    dir.toFile().delete();
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // Best effort: the broker may still be writing while we delete.
        }
    }
}
