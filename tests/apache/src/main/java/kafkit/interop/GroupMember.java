package kafkit.interop;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A Java (kafka-clients 4.4) consumer-group member for kafkit's mixed-group tests
 * (tests/client/group_peers.rs): it subscribes with the classic protocol, prints what its
 * rebalance listener is told, and leaves the group when its stdin closes.
 *
 * <p>Usage: {@code GroupMember <bootstrap> <group> <strategy: range|roundrobin|cooperative-sticky>
 * <session-ms> <topic>...}. Output lines: {@code MEMBER <id>} and {@code ASSIGNED [["t",0],...]}
 * (everything owned now) after every assignment, {@code REVOKED} when an eager rebalance revokes
 * everything. With cooperative-sticky the listener is told only what is added or revoked; an
 * {@code ASSIGNED} line with what is left follows every revocation instead.
 */
public final class GroupMember {
    private static final Duration POLL = Duration.ofMillis(100);

    private GroupMember() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: GroupMember <bootstrap> <group> <strategy> <session-ms> <topic>...");
            System.exit(2);
        }
        String strategy = switch (args[2]) {
            case "range" -> "org.apache.kafka.clients.consumer.RangeAssignor";
            case "roundrobin" -> "org.apache.kafka.clients.consumer.RoundRobinAssignor";
            case "cooperative-sticky" -> "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
            default -> args[2];
        };
        int sessionMs = Integer.parseInt(args[3]);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, strategy);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionMs);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(100, sessionMs / 5));
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<String> topics = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            topics.add(args[i]);
        }
        AtomicBoolean stop = new AtomicBoolean();
        boolean cooperative = strategy.endsWith("CooperativeStickyAssignor");
        Set<TopicPartition> owned = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            Thread stdin = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // drain until end of input
                    }
                } catch (IOException e) {
                    // a closed pipe is the same as end of input
                }
                stop.set(true);
                consumer.wakeup();
            }, "kafkit-stdin");
            stdin.setDaemon(true);
            stdin.start();
            consumer.subscribe(topics, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (cooperative) {
                        owned.removeAll(partitions);
                        show(consumer, owned);
                    } else {
                        owned.clear();
                        System.out.println("REVOKED");
                        System.out.flush();
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    onPartitionsRevoked(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    owned.addAll(partitions);
                    show(consumer, owned);
                }
            });
            while (!stop.get()) {
                try {
                    consumer.poll(POLL);
                } catch (WakeupException e) {
                    // stdin closed: leave the loop and close (LeaveGroup)
                }
            }
        }
        System.exit(0);
    }

    private static void show(KafkaConsumer<byte[], byte[]> consumer, Set<TopicPartition> owned) {
        System.out.println("MEMBER " + consumer.groupMetadata().memberId());
        List<String> pairs = new ArrayList<>();
        owned.stream()
                .sorted((a, b) -> a.topic().equals(b.topic())
                        ? Integer.compare(a.partition(), b.partition())
                        : a.topic().compareTo(b.topic()))
                .forEach(p -> pairs.add("[\"" + p.topic() + "\"," + p.partition() + "]"));
        System.out.println("ASSIGNED [" + String.join(",", pairs) + "]");
        System.out.flush();
    }
}
