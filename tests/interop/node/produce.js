// kafkajs producer for the tests against our broker: sends --count records ("record-<i>", keyed
// "key-<i>") to --topic with acks=all, spread over the partitions by kafkajs's default
// (Java-compatible) partitioner, then prints RESULT {"records": N, "partitions": [...]} and exits 0.
// Usage: node produce.js --bootstrap B --topic T --count N
'use strict';

const { Kafka, Partitioners, logLevel } = require('kafkajs');

// Records per send call: several batches, so more than one request goes out.
const PER_SEND = 100;

async function main() {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const at = argv.indexOf(name);
    if (at < 0 || at + 1 >= argv.length) throw new Error(`missing ${name}`);
    return argv[at + 1];
  };
  const bootstrap = opt('--bootstrap');
  const topic = opt('--topic');
  const count = Number(opt('--count'));
  const kafka = new Kafka({
    clientId: 'kafkajs-producer',
    brokers: bootstrap.split(','),
    logLevel: logLevel.WARN,
  });
  // Named explicitly (kafkajs 2 warns otherwise): the Java-compatible murmur2 partitioner.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const partitions = new Set();
  for (let start = 0; start < count; start += PER_SEND) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + PER_SEND); i++) {
      messages.push({ key: `key-${i}`, value: `record-${i}` });
    }
    const results = await producer.send({ topic, acks: -1, messages });
    for (const r of results) {
      if (r.errorCode !== 0) throw new Error(`produce error ${JSON.stringify(r)}`);
      partitions.add(r.partition);
    }
  }
  await producer.disconnect();
  console.log(`RESULT ${JSON.stringify({ records: count, partitions: [...partitions].sort() })}`);
}

main().catch((error) => {
  console.error(`FAIL: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
