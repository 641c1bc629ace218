complete -c kafka-topics -l bootstrap-server -d 'REQUIRED: The Kafka server to connect to.' -r
complete -c kafka-topics -l command-config -d 'Property file containing configs to be passed to Admin Client.' -r
complete -c kafka-topics -l topic -d 'The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option.' -r
complete -c kafka-topics -l topic-id -d 'The topic-id to describe.' -r
complete -c kafka-topics -l delete-config -d 'This option is no longer supported and has been deprecated since 4.0' -r
complete -c kafka-topics -l partitions -d 'The number of partitions for the topic being created or altered. If not supplied with --create, the topic uses the cluster default. (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected).' -r
complete -c kafka-topics -l replication-factor -d 'The replication factor for each partition in the topic being created. If not supplied, the topic uses the cluster default.' -r
complete -c kafka-topics -l replica-assignment -d 'A list of manual partition-to-broker assignments for the topic being created or altered.' -r
complete -c kafka-topics -l partition-size-limit-per-response -d 'The maximum partition size to be included in one DescribeTopicPartitions response.' -r
complete -c kafka-topics -l output -d 'Output format for --list and --describe: text (Apache\'s, the default) or json' -r
complete -c kafka-topics -l config -d 'A topic configuration override for the topic being created. The following is a list of valid configurations: cleanup.policy, compression.gzip.level, compression.lz4.level, compression.type, compression.zstd.level, delete.retention.ms, errors.deadletterqueue.group.enable, file.delete.delay.ms, flush.messages, flush.ms, follower.replication.throttled.replicas, index.interval.bytes, leader.replication.throttled.replicas, local.retention.bytes, local.retention.ms, max.compaction.lag.ms, max.decompressed.message.bytes, max.message.bytes, message.timestamp.after.max.ms, message.timestamp.before.max.ms, message.timestamp.type, min.cleanable.dirty.ratio, min.compaction.lag.ms, min.insync.replicas, preallocate, remote.copy.lag.bytes, remote.copy.lag.ms, remote.log.copy.disable, remote.log.delete.on.disable, remote.storage.enable, retention.bytes, retention.ms, segment.bytes, segment.index.bytes, segment.jitter.ms, segment.ms, unclean.leader.election.enable See the Kafka documentation for full details on the topic configs. It is supported only in combination with --create. (To alter topic configurations, the kafka-configs tool can be used.)' -r
complete -c kafka-topics -l list -d 'List all available topics.'
complete -c kafka-topics -l create -d 'Create a new topic.'
complete -c kafka-topics -l delete -d 'Delete a topic.'
complete -c kafka-topics -l alter -d 'Alter the number of partitions and replica assignment. (To alter topic configurations, the kafka-configs tool can be used.)'
complete -c kafka-topics -l describe -d 'List details for the given topics.'
complete -c kafka-topics -l under-replicated-partitions -d 'If set when describing topics, only show under-replicated partitions.'
complete -c kafka-topics -l unavailable-partitions -d 'If set when describing topics, only show partitions whose leader is not available.'
complete -c kafka-topics -l under-min-isr-partitions -d 'If set when describing topics, only show partitions whose isr count is less than the configured minimum.'
complete -c kafka-topics -l at-min-isr-partitions -d 'If set when describing topics, only show partitions whose isr count is equal to the configured minimum.'
complete -c kafka-topics -l topics-with-overrides -d 'If set when describing topics, only show topics that have overridden configs.'
complete -c kafka-topics -l if-exists -d 'If set when altering or deleting or describing topics, the action will only execute if the topic exists.'
complete -c kafka-topics -l if-not-exists -d 'If set when creating topics, the create request will not fail if the topic already exists, but the request will still be sent.'
complete -c kafka-topics -l exclude-internal -d 'Exclude internal topics when listing or describing topics. By default, the internal topics are included.'
complete -c kafka-topics -l help -d 'Print usage information.'
complete -c kafka-topics -l version -d 'Display Kafka version.'
