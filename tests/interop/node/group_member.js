// A kafkajs consumer-group member for the group tests against our broker
// (tests/client/group_script_peers.rs): it subscribes, consumes, commits what it consumed after
// every batch, and leaves the group (consumer.disconnect) when its stdin closes.
//
// Output, one line each:
//   MEMBER <member id>            after every assignment
//   ASSIGNED [[topic, partition], ...]
//   REVOKED                       when a rebalance starts
//   CONSUMED <records so far>     after every commit
// Usage: node group_member.js --bootstrap B --group G --topic T [--topic T2] [--session-ms 6000]
'use strict';

const { Kafka, logLevel } = require('kafkajs');

// The longest fetch long-poll (see maxWaitTimeInMs below).
const MAX_FETCH_WAIT_MS = 500;

function parseArgs(argv) {
  const args = { topics: [], sessionMs: 6000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${name}`);
    if (name === '--bootstrap') args.bootstrap = value;
    else if (name === '--group') args.group = value;
    else if (name === '--topic') args.topics.push(value);
    else if (name === '--session-ms') args.sessionMs = Number(value);
    else throw new Error(`unknown option ${name}`);
  }
  if (!args.bootstrap || !args.group || args.topics.length === 0) {
    throw new Error('usage: group_member.js --bootstrap B --group G --topic T');
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const kafka = new Kafka({
    clientId: 'kafkajs-group-member',
    brokers: args.bootstrap.split(','),
    logLevel: logLevel.WARN,
  });
  const heartbeatMs = Math.max(100, Math.floor(args.sessionMs / 5));
  const consumer = kafka.consumer({
    groupId: args.group,
    sessionTimeout: args.sessionMs,
    heartbeatInterval: heartbeatMs,
    // kafkajs heartbeats (and so learns of rebalances) only between fetches: a long-poll
    // longer than the session (its default is 5 s) gets the member expelled whenever there is
    // nothing to read, and a long one delays every rebalance.
    maxWaitTimeInMs: Math.min(heartbeatMs, MAX_FETCH_WAIT_MS),
    // kafkajs waits this long for more members before the first assignment; the broker under
    // test has no initial delay, so none is added here.
    rebalanceTimeout: 30000,
  });
  const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
  consumer.on(REBALANCING, () => console.log('REVOKED'));
  consumer.on(GROUP_JOIN, (event) => {
    const { memberId, memberAssignment } = event.payload;
    const pairs = [];
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) pairs.push([topic, partition]);
    }
    pairs.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
    console.log(`MEMBER ${memberId}`);
    console.log(`ASSIGNED ${JSON.stringify(pairs)}`);
  });
  let crashed = null;
  consumer.on(CRASH, (event) => {
    crashed = event.payload.error;
  });

  await consumer.connect();
  for (const topic of args.topics) {
    await consumer.subscribe({ topic, fromBeginning: true });
  }
  let consumed = 0;
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const last = batch.messages[batch.messages.length - 1];
      for (const message of batch.messages) resolveOffset(message.offset);
      const next = (BigInt(last.offset) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      consumed += batch.messages.length;
      console.log(`CONSUMED ${consumed}`);
      await heartbeat();
    },
  });

  await new Promise((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
  await consumer.disconnect();
  if (crashed) {
    console.error(`FAIL: ${crashed}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(`FAIL: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
