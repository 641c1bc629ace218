package kafkit.interop;

import java.util.Arrays;
import java.util.UUID;

/**
 * The Java client (kafka-clients 4.4) driving a Kafka broker: kafkit's own broker under test, or
 * Apache Kafka 4.4 as the control that proves these expectations are Apache's behaviour.
 *
 * <p>Usage: {@code Interop <bootstrap-servers> <scenario>...} with scenarios
 * {@code admin-topics}, {@code describe-configs}, {@code list-offsets}, {@code groups}
 * (a classic-protocol consumer group and the admin group APIs), {@code consumer-protocol}
 * (KIP-848 {@code group.protocol=consumer}: works, or fails with UnsupportedVersionException),
 * {@code produce-consume[:codec,...]} (default: every codec) or {@code all}.
 *
 * <p>Every check prints one line, {@code ok - ...} or {@code FAIL - ...} with what was expected
 * and what came back; an exception is printed with its whole cause chain. The last line is
 * {@code summary: N checks, M failures}; the exit code is 0 only when nothing failed. Topic names
 * carry a random suffix so the scenarios can share one broker with other tests.
 *
 * <p>The scenarios live in {@link AdminScenarios}, {@link GroupScenarios} and
 * {@link DataScenarios}; what they share in {@link Scenario}. It checks the client-visible
 * behaviour only; which requests went over the wire is for the
 * broker's own log (or the client's DEBUG log: -Dkafkit.log.level=debug) to tell.
 */
public final class Interop extends Scenario {
    private static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
    private static final int EXIT_USAGE = 2;

    private final AdminScenarios admin;
    private final GroupScenarios groups;
    private final DataScenarios data;

    private Interop(String bootstrap, String suffix, Tally tally) {
        super(bootstrap, suffix, tally);
        admin = new AdminScenarios(bootstrap, suffix, tally);
        groups = new GroupScenarios(bootstrap, suffix, tally);
        data = new DataScenarios(bootstrap, suffix, tally);
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: Interop <bootstrap-servers> <scenario>...");
            System.exit(EXIT_USAGE);
        }
        Tally tally = new Tally();
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Interop interop = new Interop(args[0], suffix, tally);
        for (String scenario : Arrays.copyOfRange(args, 1, args.length)) {
            interop.run(scenario);
        }
        System.out.printf("summary: %d checks, %d failures%n", tally.checks, tally.failures);
        System.out.flush();
        // Client threads (metadata refresh, kafka-producer-network-thread) must not keep us alive.
        System.exit(tally.failures == 0 ? 0 : 1);
    }

    private void run(String scenario) {
        String name = scenario;
        String argument = null;
        int colon = scenario.indexOf(':');
        if (colon >= 0) {
            name = scenario.substring(0, colon);
            argument = scenario.substring(colon + 1);
        }
        System.out.println("# scenario " + scenario);
        try {
            switch (name) {
                case "admin-topics" -> admin.adminTopics();
                case "describe-configs" -> admin.describeConfigs();
                case "list-offsets" -> admin.listOffsets();
                case "groups" -> groups.groups();
                case "consumer-protocol" -> groups.consumerProtocol();
                case "produce-consume" -> {
                    String[] codecs = argument == null ? CODECS : argument.split(",");
                    for (String codec : codecs) {
                        data.produceConsume(codec);
                    }
                }
                case "all" -> {
                    admin.adminTopics();
                    admin.describeConfigs();
                    admin.listOffsets();
                    groups.groups();
                    groups.consumerProtocol();
                    for (String codec : CODECS) {
                        data.produceConsume(codec);
                    }
                }
                default -> fail("unknown scenario " + scenario);
            }
        } catch (Throwable e) {
            fail("scenario " + scenario + " aborted: " + describe(e));
        }
    }
}
