package kafkit.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What every scenario of the interop driver shares: client factories (the Java client's
 * defaults, only timeouts and the codec chosen), waits for Apache's eventually consistent
 * brokers, and the {@code ok - ...} / {@code FAIL - ...} reporting.
 */
abstract class Scenario {
    protected static final int REQUEST_TIMEOUT_MS = 15_000;
    protected static final int API_TIMEOUT_MS = 30_000;
    protected static final Duration POLL = Duration.ofMillis(200);
    protected static final long TOPIC_READY_DEADLINE_MS = 15_000;
    /** A fixed epoch-millisecond base so by-timestamp lookups have known answers. */
    protected static final long BASE_TIMESTAMP = 1_700_000_000_000L;

    /** Counts of checks and failures, shared by every scenario of one run. */
    static final class Tally {
        int checks;
        int failures;
    }

    protected final String bootstrap;
    /** Makes topic and group names unique, so scenarios can share a broker with other tests. */
    protected final String suffix;
    private final Tally tally;

    protected Scenario(String bootstrap, String suffix, Tally tally) {
        this.bootstrap = bootstrap;
        this.suffix = suffix;
        this.tally = tally;
    }

    // ---------------------------------------------------------------- clients

    protected Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafkit-interop-admin");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, API_TIMEOUT_MS);
        return Admin.create(p);
    }

    /** The default producer (idempotent, acks=all) with only the codec and timeouts chosen. */
    protected KafkaProducer<byte[], byte[]> producer(String codec) {
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

    protected KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kafkit-interop-consumer");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, API_TIMEOUT_MS);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    protected KafkaConsumer<byte[], byte[]> groupConsumer(String group, String protocol) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kafkit-interop-member");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, API_TIMEOUT_MS);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    // ---------------------------------------------------------------- waiting for Apache's brokers

    /**
     * Waits until {@code topic} is described with a leader for every partition. Apache's
     * createTopics answers once the controller has committed the topic; its brokers learn of it
     * a moment later, and a request in between gets UNKNOWN_TOPIC_OR_PARTITION. Clients handle
     * that by retrying, as this does; on kafkit's broker it returns at once.
     */
    protected static void awaitTopic(Admin admin, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + TOPIC_READY_DEADLINE_MS;
        while (true) {
            try {
                TopicDescription d =
                    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                if (d.partitions().stream().allMatch(p -> p.leader() != null)) {
                    // A leader in the metadata is not yet a leader that takes writes (Apache's
                    // replica manager may lag its metadata cache, and an idempotent producer
                    // refused with NOT_LEADER can stall on OUT_OF_ORDER_SEQUENCE_NUMBER):
                    // ListOffsets is answered by the leader itself, and the admin client
                    // retries it until it is.
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    d.partitions().forEach(p ->
                        latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
                    admin.listOffsets(latest).all().get();
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
    protected static void awaitPartitions(Admin admin, String topic, int count) throws Exception {
        long deadline = System.currentTimeMillis() + TOPIC_READY_DEADLINE_MS;
        while (admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
                   .partitions().size() < count
               && System.currentTimeMillis() < deadline) {
            Thread.sleep(POLL.toMillis());
        }
        awaitTopic(admin, topic);
    }

    /**
     * Describes {@code resource} until {@code name} has {@code expected} (or the deadline passes:
     * the caller's check then reports what it has). Apache's brokers apply a config change a
     * moment after the controller acknowledged it.
     */
    protected static Config awaitConfig(Admin admin, ConfigResource resource, String name,
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

    // ---------------------------------------------------------------- checks and reporting

    protected void check(boolean ok, String what, String detail) {
        tally.checks++;
        if (ok) {
            System.out.println("ok - " + what);
        } else {
            tally.failures++;
            System.out.println("FAIL - " + what + (detail.isEmpty() ? "" : ": " + detail));
        }
    }

    protected void fail(String what) {
        check(false, what, "");
    }

    protected void equal(Object expected, Object actual, String what) {
        check(java.util.Objects.equals(expected, actual), what,
            "expected " + expected + ", got " + actual);
    }

    protected void expectFailure(org.apache.kafka.common.KafkaFuture<?> future,
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

    protected static String value(Config config, String name) {
        ConfigEntry entry = config.get(name);
        return entry == null ? null : entry.value();
    }

    /** An exception with its whole cause chain on one line. */
    protected static String describe(Throwable e) {
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

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String show(byte[] b) {
        if (b == null) {
            return "null";
        }
        if (b.length > 40) {
            return "<" + b.length + " bytes>";
        }
        return "\"" + new String(b, StandardCharsets.UTF_8) + "\"";
    }
}
