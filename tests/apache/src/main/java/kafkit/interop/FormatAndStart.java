package kafkit.interop;

/**
 * Formats a KRaft node's log directories (what {@code kafka-storage.sh format} does) and then
 * runs the broker ({@code kafka.Kafka}) in the same JVM: one JVM start-up per node instead of
 * two, the main cost of the Apache fixtures in kafkit's tests.
 *
 * <p>Usage: {@code FormatAndStart <cluster-id> <server.properties>}. An already formatted
 * directory is kept (a restarted node keeps its data).
 */
public final class FormatAndStart {
    private static final int EXIT_USAGE = 2;

    private FormatAndStart() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: FormatAndStart <cluster-id> <server.properties>");
            System.exit(EXIT_USAGE);
        }
        int formatted = kafka.tools.StorageTool.execute(new String[] {
            "format", "--cluster-id", args[0], "--config", args[1], "--ignore-formatted"
        }, System.out);
        if (formatted != 0) {
            System.err.println("formatting " + args[1] + " failed with exit code " + formatted);
            System.exit(formatted);
        }
        kafka.Kafka.main(new String[] {args[1]});
    }
}
