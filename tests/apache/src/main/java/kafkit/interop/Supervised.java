package kafkit.interop;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * Runs another main class (the Apache Kafka broker, {@code kafka.Kafka}) tied to the life of the
 * process that started it: a JVM started by a Rust test must never outlive the test run.
 *
 * <p>Usage: {@code Supervised <dir-to-delete|-> <main-class> [args...]}. The parent keeps this
 * JVM's stdin open as a pipe. A line {@code stop} on stdin asks for a clean shutdown
 * ({@code System.exit}, which runs Kafka's shutdown hook); end of input (the parent exited, was
 * killed, or closed the pipe) deletes the given directory and halts at once, without hooks,
 * because nobody is left to wait for a clean shutdown.
 *
 * <p>It must not read stdin for any other purpose, and it must not be used for tools that read
 * their own input from stdin (the console producer).
 */
public final class Supervised {
    private static final int EXIT_CLEAN = 0;
    private static final int EXIT_ORPHANED = 143;
    private static final int EXIT_USAGE = 2;

    private Supervised() {}

    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("usage: Supervised <dir-to-delete|-> <main-class> [args...]");
            System.exit(EXIT_USAGE);
        }
        String cleanup = args[0];
        Thread watcher = new Thread(() -> watchParent(cleanup), "kafkit-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
        try {
            Class.forName(args[1])
                .getMethod("main", String[].class)
                .invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void watchParent(String cleanup) {
        InputStream in = System.in;
        StringBuilder line = new StringBuilder();
        try {
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    if (line.toString().trim().equals("stop")) {
                        System.exit(EXIT_CLEAN);
                    }
                    line.setLength(0);
                } else {
                    line.append((char) b);
                }
            }
        } catch (IOException e) {
            // A broken pipe means the same as end of input: the parent is gone.
        }
        if (!cleanup.equals("-")) {
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
