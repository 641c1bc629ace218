package kafkit.interop;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** AdminClient: topics (create, describe, partitions, delete), configs, list offsets. */
final class AdminScenarios extends Scenario {
    private static final long DELETE_DEADLINE_MS = 15_000;

    AdminScenarios(String bootstrap, String suffix, Tally tally) {
        super(bootstrap, suffix, tally);
    }

    void adminTopics() throws Exception {
        String a = "interop-a-" + suffix;
        String b = "interop-b-" + suffix;
        try (Admin admin = admin()) {
            DescribeClusterResult cluster = admin.describeCluster();
            Collection<Node> nodes = cluster.nodes().get();
            String clusterId = cluster.clusterId().get();
            check(!nodes.isEmpty(), "describeCluster lists the broker", "nodes=" + nodes);
            check(clusterId != null && !clusterId.isEmpty(), "describeCluster has a cluster id",
                "clusterId=" + clusterId);
            Set<Integer> nodeIds = new java.util.HashSet<>();
            nodes.forEach(n -> nodeIds.add(n.id()));

            CreateTopicsResult created = admin.createTopics(List.of(
                new NewTopic(a, 3, (short) 1),
                new NewTopic(b, 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact", "retention.ms", "3600000"))));
            created.all().get();
            check(true, "createTopics " + a + " (3 partitions) and " + b + " (compact)", "");
            awaitTopic(admin, a);
            awaitTopic(admin, b);
            equal(3, created.numPartitions(a).get(), "createTopics result: numPartitions of " + a);
            equal(1, created.replicationFactor(a).get(), "createTopics result: replicationFactor");
            Uuid idA = created.topicId(a).get();
            check(idA != null && !Uuid.ZERO_UUID.equals(idA), "createTopics result: topic id set",
                "topicId=" + idA);
            Config configB = created.config(b).get();
            equal("compact", value(configB, "cleanup.policy"),
                "createTopics result: cleanup.policy of " + b);
            equal("3600000", value(configB, "retention.ms"),
                "createTopics result: retention.ms of " + b);

            expectFailure(admin.createTopics(List.of(new NewTopic(a, 1, (short) 1))).all(),
                TopicExistsException.class, "Topic '" + a + "' already exists.",
                "createTopics on an existing topic");
            expectFailure(admin.createTopics(List.of(new NewTopic("bad name!", 1, (short) 1))).all(),
                InvalidTopicException.class, null, "createTopics with an invalid name");
            String validated = "interop-validate-" + suffix;
            admin.createTopics(List.of(new NewTopic(validated, 2, (short) 1)),
                new CreateTopicsOptions().validateOnly(true)).all().get();
            check(true, "createTopics validateOnly succeeds", "");

            Set<String> names = admin.listTopics().names().get();
            check(names.contains(a) && names.contains(b), "listTopics has both new topics",
                "names=" + names);
            check(!names.contains(validated), "validateOnly created nothing", "names=" + names);

            Map<String, TopicDescription> described =
                admin.describeTopics(List.of(a, b)).allTopicNames().get();
            TopicDescription da = described.get(a);
            equal(3, da.partitions().size(), "describeTopics: partitions of " + a);
            equal(idA, da.topicId(), "describeTopics: same topic id as createTopics");
            check(!da.isInternal(), "describeTopics: not internal", "");
            for (int p = 0; p < da.partitions().size(); p++) {
                TopicPartitionInfo info = da.partitions().get(p);
                equal(p, info.partition(), "describeTopics: partitions in order");
                check(info.leader() != null && nodeIds.contains(info.leader().id()),
                    "describeTopics: partition " + p + " has a live leader",
                    "leader=" + info.leader() + " nodes=" + nodeIds);
                equal(1, info.replicas().size(), "describeTopics: replicas of partition " + p);
                equal(1, info.isr().size(), "describeTopics: isr of partition " + p);
            }

            admin.createPartitions(Map.of(a, NewPartitions.increaseTo(4))).all().get();
            awaitPartitions(admin, a, 4);
            equal(4, admin.describeTopics(List.of(a)).allTopicNames().get().get(a)
                .partitions().size(), "createPartitions increases " + a + " to 4");

            admin.deleteTopics(List.of(a, b)).all().get();
            check(true, "deleteTopics " + a + ", " + b, "");
            awaitGone(admin, a, b);
            expectFailure(admin.describeTopics(List.of(a)).allTopicNames(),
                UnknownTopicOrPartitionException.class, null, "describeTopics of a deleted topic");
            expectFailure(admin.deleteTopics(List.of("interop-never-" + suffix)).all(),
                UnknownTopicOrPartitionException.class, null, "deleteTopics of an unknown topic");
        }
    }

    private void awaitGone(Admin admin, String... topics) throws Exception {
        long deadline = System.currentTimeMillis() + DELETE_DEADLINE_MS;
        Set<String> names;
        do {
            names = admin.listTopics().names().get();
            if (Arrays.stream(topics).noneMatch(names::contains)) {
                check(true, "listTopics no longer has the deleted topics", "");
                return;
            }
            Thread.sleep(POLL.toMillis());
        } while (System.currentTimeMillis() < deadline);
        fail("listTopics still has deleted topics after " + DELETE_DEADLINE_MS + " ms: " + names);
    }

    void describeConfigs() throws Exception {
        String topic = "interop-configs-" + suffix;
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                .configs(Map.of("retention.ms", "12345")))).all().get();
            awaitTopic(admin, topic);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            ConfigEntry retention = config.get("retention.ms");
            equal("12345", retention == null ? null : retention.value(), "retention.ms override");
            equal(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
                retention == null ? null : retention.source(), "retention.ms source");
            Map<String, String> defaults = new TreeMap<>(Map.of(
                "cleanup.policy", "delete",
                "compression.type", "producer",
                "max.message.bytes", "1048588",
                "segment.bytes", "1073741824",
                "message.timestamp.type", "CreateTime"));
            for (Map.Entry<String, String> d : defaults.entrySet()) {
                ConfigEntry entry = config.get(d.getKey());
                equal(d.getValue(), entry == null ? null : entry.value(), "default " + d.getKey());
                equal(ConfigEntry.ConfigSource.DEFAULT_CONFIG,
                    entry == null ? null : entry.source(), "source of default " + d.getKey());
            }
            // Value only: a 4.4 cluster formatted with eligible leader replicas (the default)
            // holds a cluster-wide min.insync.replicas, so Apache reports its source as
            // DYNAMIC_DEFAULT_BROKER_CONFIG where a plain default would say DEFAULT_CONFIG.
            equal("1", value(config, "min.insync.replicas"), "default min.insync.replicas");

            admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "54321"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"),
                    AlterConfigOp.OpType.SET)))).all().get();
            config = awaitConfig(admin, resource, "retention.ms", "54321");
            equal("54321", value(config, "retention.ms"), "incrementalAlterConfigs SET retention.ms");
            equal("compact", value(config, "cleanup.policy"),
                "incrementalAlterConfigs SET cleanup.policy");
            admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE))))
                .all().get();
            config = awaitConfig(admin, resource, "retention.ms", "604800000");
            ConfigEntry reverted = config.get("retention.ms");
            equal("604800000", reverted == null ? null : reverted.value(),
                "incrementalAlterConfigs DELETE restores the default retention.ms");
            equal(ConfigEntry.ConfigSource.DEFAULT_CONFIG,
                reverted == null ? null : reverted.source(), "source after DELETE");

            ConfigResource missing =
                new ConfigResource(ConfigResource.Type.TOPIC, "interop-missing-" + suffix);
            expectFailure(admin.describeConfigs(List.of(missing)).all(),
                UnknownTopicOrPartitionException.class, null, "describeConfigs of an unknown topic");
            admin.deleteTopics(List.of(topic)).all().get();
        }
    }

    void listOffsets() throws Exception {
        String topic = "interop-offsets-" + suffix;
        TopicPartition tp = new TopicPartition(topic, 0);
        // Two batches (a flush between them); the largest timestamp is in the first one.
        long[][] batches = {{10, 20, 50}, {30, 40, 45}};
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            awaitTopic(admin, topic);
            equal(-1L, offsetFor(admin, tp, OffsetSpec.maxTimestamp()).offset(),
                "maxTimestamp of an empty partition");
            try (KafkaProducer<byte[], byte[]> producer = producer("none")) {
                for (long[] batch : batches) {
                    for (long ts : batch) {
                        producer.send(new ProducerRecord<>(topic, 0, BASE_TIMESTAMP + ts,
                            null, bytes("ts+" + ts)));
                    }
                    producer.flush();
                }
            }
            equal(0L, offsetFor(admin, tp, OffsetSpec.earliest()).offset(), "earliest offset");
            equal(6L, offsetFor(admin, tp, OffsetSpec.latest()).offset(), "latest offset");
            ListOffsetsResultInfo max = offsetFor(admin, tp, OffsetSpec.maxTimestamp());
            equal(2L, max.offset(), "maxTimestamp offset");
            equal(BASE_TIMESTAMP + 50, max.timestamp(), "maxTimestamp timestamp");
            long[][] byTime = {
                // {target - base, expected offset, expected timestamp - base}
                {0, 0, 10}, {10, 0, 10}, {11, 1, 20}, {21, 2, 50},
                // 35: the first batch (max 50) qualifies, and its first record >= 35 is offset 2.
                {35, 2, 50}, {50, 2, 50},
            };
            for (long[] c : byTime) {
                ListOffsetsResultInfo info =
                    offsetFor(admin, tp, OffsetSpec.forTimestamp(BASE_TIMESTAMP + c[0]));
                equal(c[1], info.offset(), "forTimestamp(base+" + c[0] + ") offset");
                equal(BASE_TIMESTAMP + c[2], info.timestamp(),
                    "forTimestamp(base+" + c[0] + ") timestamp");
            }
            ListOffsetsResultInfo none =
                offsetFor(admin, tp, OffsetSpec.forTimestamp(BASE_TIMESTAMP + 51));
            equal(-1L, none.offset(), "forTimestamp past the newest record: offset");
            equal(-1L, none.timestamp(), "forTimestamp past the newest record: timestamp");
            admin.deleteTopics(List.of(topic)).all().get();
        }
    }

    private static ListOffsetsResultInfo offsetFor(Admin admin, TopicPartition tp, OffsetSpec spec)
        throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
    }
}
