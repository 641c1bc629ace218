package kafkit.interop;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.utils.internals.Exit;

/**
 * The training run for the class-data-sharing archive that scripts/fetch-apache dumps
 * ({@code -XX:ArchiveClassesAtExit}): it runs each of Apache's four tools once, in this one JVM,
 * against a closed port with short timeouts, so the classes every tool run loads (option
 * parsing, log4j, the admin, producer and consumer clients) are archived and later tool JVMs
 * start in about half the time. What the tools print here is thrown away; failing is expected.
 */
public final class Train {
    /** Nothing listens on port 1 on loopback: connections are refused at once. */
    private static final String NOWHERE = "127.0.0.1:1";
    private static final String SHORT_TIMEOUTS = String.join("\n",
        "request.timeout.ms=200",
        "default.api.timeout.ms=400",
        "max.block.ms=200",
        "socket.connection.setup.timeout.ms=100",
        "socket.connection.setup.timeout.max.ms=100",
        "");

    /** Thrown instead of exiting, so the next tool can run. */
    private static final class ToolExit extends RuntimeException {
        ToolExit() {
            super(null, null, false, false);
        }
    }

    private interface Tool {
        void run() throws Exception;
    }

    private Train() {}

    public static void main(String[] args) throws Exception {
        Path config = Files.createTempFile("kafkit-train", ".properties");
        try {
            Files.writeString(config, SHORT_TIMEOUTS);
            String cfg = config.toString();
            Exit.setExitProcedure((code, message) -> {
                throw new ToolExit();
            });
            run(() -> org.apache.kafka.tools.TopicCommand.main(
                "--bootstrap-server", NOWHERE, "--command-config", cfg, "--list"));
            run(() -> org.apache.kafka.tools.consumer.group.ConsumerGroupCommand.main(new String[] {
                "--bootstrap-server", NOWHERE, "--command-config", cfg, "--list",
                "--timeout", "300"}));
            run(() -> org.apache.kafka.tools.consumer.ConsoleConsumer.main(new String[] {
                "--bootstrap-server", NOWHERE, "--consumer.config", cfg, "--topic", "train",
                "--from-beginning", "--timeout-ms", "300"}));
            System.setIn(new ByteArrayInputStream("key\tvalue\n".getBytes()));
            run(() -> org.apache.kafka.tools.ConsoleProducer.main(new String[] {
                "--bootstrap-server", NOWHERE, "--producer.config", cfg, "--topic", "train"}));
        } finally {
            Exit.resetExitProcedure();
            Files.deleteIfExists(config);
        }
        // The archive is written at exit; exit explicitly past any lingering client threads.
        System.exit(0);
    }

    private static void run(Tool tool) {
        try {
            tool.run();
        } catch (Throwable expected) {
            // Refused connections, timeouts and our ToolExit are all part of the training.
        }
    }
}
