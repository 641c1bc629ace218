package kafkit.interop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;

/**
 * The default idempotent producer (acks=all) with one codec, and an assign()-mode consumer
 * reading everything back exactly: offsets, keys, values, timestamps, headers.
 */
final class DataScenarios extends Scenario {
    private static final long CONSUME_DEADLINE_MS = 30_000;
    private static final int RECORDS_PER_CODEC = 300;
    private static final int LARGE_VALUE_BYTES = 200_000;

    DataScenarios(String bootstrap, String suffix, Tally tally) {
        super(bootstrap, suffix, tally);
    }

    /** One record as sent, to compare with what comes back. */
    private record Sent(byte[] key, byte[] value, long timestamp, List<Header> headers,
                        RecordMetadata metadata) {}

    void produceConsume(String codec) throws Exception {
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
}
