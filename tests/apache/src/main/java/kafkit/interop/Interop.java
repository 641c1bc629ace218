package kafkit.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java client (kafka-clients 4.4) driving a Kafka broker: kafkit's own broker under test, or
 * Apache Kafka 4.4 as the control that proves these expectations are Apache's behaviour.
 *
 * <p>Usage: {@code Interop <bootstrap-servers> <scenario>...} with scenarios
 * {@code admin-topics}, {@code describe-configs}, {@code list-offsets},
 * {@code produce-consume[:codec,...]} (default: every codec) or {@code all}.
 *
 * <p>Every check prints one line, {@code ok - ...} or {@code FAIL - ...} with what was expected
 * and what came back; an exception is printed with its whole cause chain. The last line is
 * {@code summary: N checks, M failures}; the exit code is 0 only when nothing failed. Topic names
 * carry a random suffix so the scenarios can share one broker with other tests.
 *
 * <p>It checks the client-visible behaviour only; which requests went over the wire is for the
 * broker's own log (or the client's DEBUG log: -Dkafkit.log.level=debug) to tell.
 */
public final class Interop {
    private static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
    private static final int REQUEST_TIMEOUT_MS = 15_000;
    private static final int API_TIMEOUT_MS = 30_000;
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long CONSUME_DEADLINE_MS = 30_000;
    private static final long DELETE_DEADLINE_MS = 15_000;
    private static final long TOPIC_READY_DEADLINE_MS = 15_000;
    /** A fixed epoch-millisecond base so by-timestamp lookups have known answers. */
    private static final long BASE_TIMESTAMP = 1_700_000_000_000L;
    private static final int RECORDS_PER_CODEC = 300;
    private static final int LARGE_VALUE_BYTES = 200_000;

    private final String bootstrap;
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private int checks;
    private int failures;

    private Interop(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: Interop <bootstrap-servers> <scenario>...");
            System.exit(2);
        }
        Interop interop = new Interop(args[0]);
        for (String scenario : Arrays.copyOfRange(args, 1, args.length)) {
            interop.run(scenario);
        }
        System.out.printf("summary: %d checks, %d failures%n", interop.checks, interop.failures);
        System.out.flush();
        // Client threads (metadata refresh, kafka-producer-network-thread) must not keep us alive.
        System.exit(interop.failures == 0 ? 0 : 1);
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
                case "admin-topics" -> adminTopics();
                case "describe-configs" -> describeConfigs();
                case "list-offsets" -> listOffsets();
                case "produce-consume" -> {
                    String[] codecs = argument == null ? CODECS : argument.split(",");
                    for (String codec : codecs) {
                        produceConsume(codec);
                    }
                }
                case "all" -> {
                    adminTopics();
                    describeConfigs();
                    listOffsets();
                    for (String codec : CODECS) {
                        produceConsume(codec);
                    }
                }
                default -> fail("unknown scenario " + scenario);
            }
        } catch (Throwable e) {
            fail("scenario " + scenario + " aborted: " + describe(e));
        }
    }

    // ---------------------------------------------------------------- admin: topics

    private void adminTopics() throws Exception {
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

    /**
     * Waits until {@code topic} is described with a leader for every partition. Apache's
     * createTopics answers once the controller has committed the topic; its brokers learn of it
     * a moment later, and a request in between gets UNKNOWN_TOPIC_OR_PARTITION. Clients handle
     * that by retrying, as this does; on kafkit's broker it returns at once.
     */
    private static void awaitTopic(Admin admin, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + TOPIC_READY_DEADLINE_MS;
        while (true) {
            try {
                TopicDescription d =
                    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                if (d.partitions().stream().allMatch(p -> p.leader() != null)) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                    || System.currentTimeMillis() >= deadline) {
                    throw e;
                }
            }
            if (System.currentTimeMillis() >= deadline) {
                throw new IllegalStateException(topic + " has partitions without a leader after "
                    + TOPIC_READY_DEADLINE_MS + " ms");
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Waits until {@code topic} is described with {@code count} partitions (see awaitTopic). */
    private static void awaitPartitions(Admin admin, String topic, int count) throws Exception {
        long deadline = System.currentTimeMillis() + TOPIC_READY_DEADLINE_MS;
        while (admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
                   .partitions().size() < count
               && System.currentTimeMillis() < deadline) {
            Thread.sleep(POLL.toMillis());
        }
        awaitTopic(admin, topic);
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

    // ---------------------------------------------------------------- admin: configs

    private void describeConfigs() throws Exception {
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

    // ---------------------------------------------------------------- list offsets

    private void listOffsets() throws Exception {
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

    /**
     * Describes {@code resource} until {@code name} has {@code expected} (or the deadline passes:
     * the caller's check then reports what it has). Apache's brokers apply a config change a
     * moment after the controller acknowledged it.
     */
    private static Config awaitConfig(Admin admin, ConfigResource resource, String name,
                                      String expected) throws Exception {
        long deadline = System.currentTimeMillis() + TOPIC_READY_DEADLINE_MS;
        while (true) {
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            if (expected.equals(value(config, name)) || System.currentTimeMillis() >= deadline) {
                return config;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static ListOffsetsResultInfo offsetFor(Admin admin, TopicPartition tp, OffsetSpec spec)
        throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
    }

    // ---------------------------------------------------------------- produce and consume

    /** One record as sent, to compare with what comes back. */
    private record Sent(byte[] key, byte[] value, long timestamp, List<Header> headers,
                        RecordMetadata metadata) {}

    private void produceConsume(String codec) throws Exception {
        String topic = "interop-" + codec + "-" + suffix;
        int partitions = 3;
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            awaitTopic(admin, topic);
        }
        Random random = new Random(codec.hashCode());
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < RECORDS_PER_CODEC; i++) {
            byte[] key = i % 7 == 0 ? null : bytes("key-" + (i % 23));
            byte[] value = i % 11 == 0 ? null
                : bytes("value " + i + " " + "compressible ".repeat(i % 17));
            List<Header> headers = i % 5 == 0 ? List.of()
                : List.of(new RecordHeader("h", bytes(Integer.toString(i))),
                          new RecordHeader("empty", new byte[0]));
            records.add(new ProducerRecord<>(topic, null, BASE_TIMESTAMP + i, key, value, headers));
        }
        byte[] large = new byte[LARGE_VALUE_BYTES];
        random.nextBytes(large);
        records.add(new ProducerRecord<>(topic, 0, BASE_TIMESTAMP, bytes("large"), large));

        List<Sent> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = producer(codec)) {
            List<Future<RecordMetadata>> futures = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> r : records) {
                futures.add(producer.send(r));
            }
            producer.flush();
            for (int i = 0; i < records.size(); i++) {
                ProducerRecord<byte[], byte[]> r = records.get(i);
                List<Header> headers = new ArrayList<>();
                r.headers().forEach(headers::add);
                sent.add(new Sent(r.key(), r.value(), r.timestamp(), headers,
                    futures.get(i).get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS)));
            }
        }
        check(true, codec + ": idempotent producer (acks=all) acknowledged " + sent.size()
            + " records", "");

        Map<Integer, List<Sent>> byPartition = new TreeMap<>();
        for (Sent s : sent) {
            byPartition.computeIfAbsent(s.metadata.partition(), p -> new ArrayList<>()).add(s);
        }
        for (Map.Entry<Integer, List<Sent>> e : byPartition.entrySet()) {
            List<Sent> list = e.getValue();
            list.sort((x, y) -> Long.compare(x.metadata.offset(), y.metadata.offset()));
            boolean dense = true;
            for (int i = 0; i < list.size(); i++) {
                dense &= list.get(i).metadata.offset() == i;
            }
            check(dense, codec + ": partition " + e.getKey() + " offsets are 0.." + (list.size() - 1),
                "offsets=" + list.stream().map(s -> s.metadata.offset()).toList());
        }

        List<TopicPartition> assignment = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            assignment.add(new TopicPartition(topic, p));
        }
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> received = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            consumer.assign(assignment);
            consumer.seekToBeginning(assignment);
            Map<TopicPartition, Long> ends = consumer.endOffsets(assignment);
            for (TopicPartition tp : assignment) {
                int expected = byPartition.getOrDefault(tp.partition(), List.of()).size();
                equal((long) expected, ends.get(tp), codec + ": endOffsets of " + tp);
            }
            long deadline = System.currentTimeMillis() + CONSUME_DEADLINE_MS;
            int total = 0;
            while (total < sent.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    received.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
                    total++;
                }
            }
            equal(sent.size(), total, codec + ": consumer (assign) read every record back");
        }
        for (Map.Entry<Integer, List<Sent>> e : byPartition.entrySet()) {
            comparePartition(codec, e.getKey(), e.getValue(),
                received.getOrDefault(e.getKey(), List.of()));
        }
    }

    private void comparePartition(String codec, int partition, List<Sent> sent,
                                  List<ConsumerRecord<byte[], byte[]>> got) {
        String where = codec + ": partition " + partition;
        if (sent.size() != got.size()) {
            fail(where + ": sent " + sent.size() + " records, received " + got.size());
            return;
        }
        int mismatches = 0;
        for (int i = 0; i < sent.size() && mismatches < 5; i++) {
            Sent s = sent.get(i);
            ConsumerRecord<byte[], byte[]> r = got.get(i);
            List<String> diffs = new ArrayList<>();
            if (r.offset() != s.metadata.offset()) {
                diffs.add("offset " + r.offset() + " != " + s.metadata.offset());
            }
            if (!Arrays.equals(r.key(), s.key)) {
                diffs.add("key " + show(r.key()) + " != " + show(s.key));
            }
            if (!Arrays.equals(r.value(), s.value)) {
                diffs.add("value " + show(r.value()) + " != " + show(s.value));
            }
            if (r.timestamp() != s.timestamp || r.timestampType() != TimestampType.CREATE_TIME) {
                diffs.add("timestamp " + r.timestampType() + " " + r.timestamp() + " != CreateTime "
                    + s.timestamp);
            }
            List<Header> headers = new ArrayList<>();
            r.headers().forEach(headers::add);
            if (!sameHeaders(headers, s.headers)) {
                diffs.add("headers " + headers + " != " + s.headers);
            }
            if (!diffs.isEmpty()) {
                mismatches++;
                fail(where + " offset " + s.metadata.offset() + ": " + String.join("; ", diffs));
            }
        }
        if (mismatches == 0) {
            check(true, where + ": " + sent.size()
                + " records read back exactly (offset, key, value, timestamp, headers)", "");
        }
    }

    private static boolean sameHeaders(List<Header> a, List<Header> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).key().equals(b.get(i).key())
                || !Arrays.equals(a.get(i).value(), b.get(i).value())) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- clients

    private Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafkit-interop-admin");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, API_TIMEOUT_MS);
        return Admin.create(p);
    }

    /** The default producer (idempotent, acks=all) with only the codec and timeouts chosen. */
    private KafkaProducer<byte[], byte[]> producer(String codec) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "kafkit-interop-producer-" + codec);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, API_TIMEOUT_MS);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, API_TIMEOUT_MS);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kafkit-interop-consumer");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, API_TIMEOUT_MS);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    // ---------------------------------------------------------------- checks and reporting

    private void check(boolean ok, String what, String detail) {
        checks++;
        if (ok) {
            System.out.println("ok - " + what);
        } else {
            failures++;
            System.out.println("FAIL - " + what + (detail.isEmpty() ? "" : ": " + detail));
        }
    }

    private void fail(String what) {
        check(false, what, "");
    }

    private void equal(Object expected, Object actual, String what) {
        check(java.util.Objects.equals(expected, actual), what,
            "expected " + expected + ", got " + actual);
    }

    private void expectFailure(org.apache.kafka.common.KafkaFuture<?> future,
                               Class<? extends Throwable> type, String message, String what) {
        try {
            future.get();
            fail(what + ": expected " + type.getSimpleName() + ", but it succeeded");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            boolean typeOk = type.isInstance(cause);
            boolean messageOk = message == null || message.equals(cause.getMessage());
            check(typeOk && messageOk, what + " fails with " + type.getSimpleName()
                + (message == null ? "" : " \"" + message + "\""), "got " + describe(cause));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(what + ": interrupted");
        }
    }

    private static String value(Config config, String name) {
        ConfigEntry entry = config.get(name);
        return entry == null ? null : entry.value();
    }

    /** An exception with its whole cause chain on one line. */
    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t != e) {
                s.append(" <- caused by ");
            }
            s.append(t.getClass().getName()).append(": ").append(t.getMessage());
            if (t.getCause() == t) {
                break;
            }
        }
        return s.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String show(byte[] b) {
        if (b == null) {
            return "null";
        }
        if (b.length > 40) {
            return "<" + b.length + " bytes>";
        }
        return "\"" + new String(b, StandardCharsets.UTF_8) + "\"";
    }
}
