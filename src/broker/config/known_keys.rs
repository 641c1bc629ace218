//! Which `server.properties` keys are Kafka broker configs that a single node may ignore without
//! a word (threads, buffers, quorum and replication settings, security plug-ins, ...). Keys that
//! are neither honoured nor listed here draw a warning. Owns the lists only.

/// Exact Kafka broker config names that do not change what a single node does.
const IGNORED: &[&str] = &[
    "alter.config.policy.class.name",
    "alter.log.dirs.replication.quota.window.num",
    "alter.log.dirs.replication.quota.window.size.seconds",
    "authorizer.class.name",
    "auto.include.jmx.reporter",
    "auto.leader.rebalance.enable",
    "background.threads",
    "client.quota.callback.class",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "connection.failed.authentication.delay.ms",
    "connections.max.reauth.ms",
    "create.topic.policy.class.name",
    "delete.records.purgatory.purge.interval.requests",
    "early.start.listeners",
    "eligible.leader.replicas.enable",
    "fetch.max.bytes",
    "fetch.purgatory.purge.interval.requests",
    "inter.broker.listener.name",
    "inter.broker.protocol.version",
    "leader.imbalance.check.interval.seconds",
    "leader.imbalance.per.broker.percentage",
    "log.dir.failure.timeout.ms",
    "log.initial.task.delay.ms",
    "log.local.retention.bytes",
    "log.local.retention.ms",
    "log.message.downconversion.enable",
    "log.message.format.version",
    "log.message.timestamp.difference.max.ms",
    "log.preallocate",
    "log.roll.jitter.hours",
    "log.roll.jitter.ms",
    "log.segment.delete.delay.ms",
    "max.connection.creation.rate",
    "max.connections.per.ip.overrides",
    "max.incremental.fetch.session.cache.slots",
    "max.request.partition.size.limit",
    "min.insync.replicas",
    "num.io.threads",
    "num.network.threads",
    "num.partitions.per.broker",
    "num.quota.samples",
    "num.recovery.threads.per.data.dir",
    "num.replica.alter.log.dirs.threads",
    "num.replica.fetchers",
    "principal.builder.class",
    "process.roles",
    "producer.id.expiration.check.interval.ms",
    "producer.id.expiration.ms",
    "producer.purgatory.purge.interval.requests",
    "queued.max.request.bytes",
    "queued.max.requests",
    "quota.window.num",
    "quota.window.size.seconds",
    "replication.quota.window.num",
    "replication.quota.window.size.seconds",
    "security.inter.broker.protocol",
    "security.providers",
    "socket.connection.setup.timeout.max.ms",
    "socket.connection.setup.timeout.ms",
    "socket.listen.backlog.size",
    "socket.receive.buffer.bytes",
    "socket.send.buffer.bytes",
    "super.users",
    "allow.everyone.if.no.acl.found",
    "telemetry.max.bytes",
    "unclean.leader.election.enable",
    "unclean.leader.election.interval.ms",
];

/// Families of Kafka broker configs ignored by a single node, by prefix.
const IGNORED_PREFIXES: &[&str] = &[
    "broker.",
    "config.providers",
    "controlled.shutdown.",
    "controller.",
    "delegation.token.",
    "group.",
    "kafka.metrics.",
    "listener.name.",
    "log.cleaner.",
    "log.flush.",
    "metadata.",
    "metric.reporters",
    "metrics.",
    "offsets.",
    "password.encoder.",
    "remote.",
    "replica.",
    "sasl.",
    "share.",
    "ssl.",
    "transaction.",
    "transactional.",
    "unstable.",
];

/// Whether `key` is a Kafka broker config that a single node accepts silently without acting on.
pub fn is_ignored(key: &str) -> bool {
    IGNORED.contains(&key) || IGNORED_PREFIXES.iter().any(|p| key.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_and_tuning_keys_are_ignored_but_typos_are_not() {
        for key in [
            "num.network.threads",
            "controller.quorum.bootstrap.servers",
            "transaction.state.log.min.isr",
            "share.coordinator.state.topic.replication.factor",
            "listener.name.plaintext.sasl.enabled.mechanisms",
        ] {
            assert!(is_ignored(key), "{key}");
        }
        for key in [
            "num.partition",
            "zookeeper.connect",
            "port",
            "log.retention.hour",
        ] {
            assert!(!is_ignored(key), "{key}");
        }
    }
}
