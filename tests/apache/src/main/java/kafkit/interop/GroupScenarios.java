package kafkit.interop;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Consumer groups: a classic-protocol member and the admin group APIs, and KIP-848's
 * {@code group.protocol=consumer} (works, or fails with UnsupportedVersionException).
 */
final class GroupScenarios extends Scenario {
    private static final int GROUP_RECORDS = 20;
    private static final long GROUP_DEADLINE_MS = 30_000;

    GroupScenarios(String bootstrap, String suffix, Tally tally) {
        super(bootstrap, suffix, tally);
    }

    /** A topic with two partitions and {@link #GROUP_RECORDS} records, ready to consume. */
    private String groupTopic(Admin admin, String name) throws Exception {
        String topic = name + "-" + suffix;
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        awaitTopic(admin, topic);
        try (KafkaProducer<byte[], byte[]> producer = producer("none")) {
            for (int i = 0; i < GROUP_RECORDS; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, bytes("v" + i)));
            }
            producer.flush();
        }
        return topic;
    }

    /** Polls until {@code count} records arrived or the deadline passed; returns how many. */
    private static int pollCount(KafkaConsumer<byte[], byte[]> consumer, int count) {
        long deadline = System.currentTimeMillis() + GROUP_DEADLINE_MS;
        int total = 0;
        while (total < count && System.currentTimeMillis() < deadline) {
            total += consumer.poll(POLL).count();
        }
        return total;
    }

    @SuppressWarnings("deprecation") // listConsumerGroups: still Apache's tools' call in 4.x
    void groups() throws Exception {
        String group = "interop-group-" + suffix;
        try (Admin admin = admin()) {
            String topic = groupTopic(admin, "interop-groups");
            TopicPartition tp0 = new TopicPartition(topic, 0);
            TopicPartition tp1 = new TopicPartition(topic, 1);
            try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic")) {
                consumer.subscribe(List.of(topic));
                equal(GROUP_RECORDS, pollCount(consumer, GROUP_RECORDS),
                    "classic group member read every record");
                equal(Set.of(tp0, tp1), consumer.assignment(), "the member owns both partitions");
                consumer.commitSync();
                check(true, "commitSync", "");

                ConsumerGroupDescription live =
                    admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                equal(GroupState.STABLE, live.groupState(), "describeConsumerGroups: state");
                equal(1, live.members().size(), "describeConsumerGroups: one member");
                equal(Set.of(tp0, tp1), live.members().iterator().next().assignment()
                    .topicPartitions(), "describeConsumerGroups: the member's assignment");
                check(!live.isSimpleConsumerGroup(), "describeConsumerGroups: not simple", "");
            }
            Collection<ConsumerGroupListing> listed = admin.listConsumerGroups().all().get();
            check(listed.stream().anyMatch(l -> l.groupId().equals(group)),
                "listConsumerGroups has the group", "listed=" + listed);
            ConsumerGroupDescription empty =
                admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            equal(GroupState.EMPTY, empty.groupState(), "after close: state");
            equal(0, empty.members().size(), "after close: no members");

            Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            equal((long) GROUP_RECORDS / 2, offset(committed, tp0), "committed offset of " + tp0);
            equal((long) GROUP_RECORDS / 2, offset(committed, tp1), "committed offset of " + tp1);

            admin.alterConsumerGroupOffsets(group, Map.of(tp0, new OffsetAndMetadata(1))).all()
                .get();
            committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            equal(1L, offset(committed, tp0), "alterConsumerGroupOffsets sets " + tp0);
            admin.deleteConsumerGroupOffsets(group, Set.of(tp1)).all().get();
            committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            equal(null, offset(committed, tp1), "deleteConsumerGroupOffsets removes " + tp1);
            equal(1L, offset(committed, tp0), "deleteConsumerGroupOffsets keeps " + tp0);

            admin.deleteConsumerGroups(List.of(group)).all().get();
            listed = admin.listConsumerGroups().all().get();
            check(listed.stream().noneMatch(l -> l.groupId().equals(group)),
                "deleteConsumerGroups removes the group", "listed=" + listed);
            admin.deleteTopics(List.of(topic)).all().get();
        }
    }

    private static Long offset(Map<TopicPartition, OffsetAndMetadata> offsets, TopicPartition tp) {
        OffsetAndMetadata o = offsets.get(tp);
        return o == null ? null : o.offset();
    }

    /**
     * KIP-848 ({@code group.protocol=consumer}). A broker without ConsumerGroupHeartbeat must
     * make the client fail clearly (UnsupportedVersionException from poll), never hang.
     */
    void consumerProtocol() throws Exception {
        String group = "interop-848-" + suffix;
        try (Admin admin = admin()) {
            String topic = groupTopic(admin, "interop-848");
            try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "consumer")) {
                consumer.subscribe(List.of(topic));
                try {
                    int read = pollCount(consumer, GROUP_RECORDS);
                    equal(GROUP_RECORDS, read, "group.protocol=consumer member read every record");
                    System.out.println("# the broker serves the KIP-848 consumer protocol");
                } catch (UnsupportedVersionException e) {
                    check(true, "group.protocol=consumer fails clearly: " + e.getMessage(), "");
                }
            }
            admin.deleteTopics(List.of(topic)).all().get();
        }
    }
}
