complete -c kafka-consumer-groups -l bootstrap-server -d 'The server(s) to connect to. REQUIRED for all options except for --validate-regex.' -r
complete -c kafka-consumer-groups -l group -d 'The consumer group id.' -r
complete -c kafka-consumer-groups -l topic -d 'The topic whose offset information should be deleted or reset. In `reset-offsets` case, partitions can be specified using this format: `topic:0,1,2`, where 0,1,2 are the partitions to be included. Reset-offsets also supports multiple topics.' -r
complete -c kafka-consumer-groups -l timeout -d 'The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).' -r
complete -c kafka-consumer-groups -l command-config -d 'Property file containing configs to be passed to Admin Client and Consumer.' -r
complete -c kafka-consumer-groups -l to-offset -d 'Reset offsets to a specific offset.' -r
complete -c kafka-consumer-groups -l from-file -d 'Reset offsets to values defined in CSV file.' -r
complete -c kafka-consumer-groups -l to-datetime -d 'Reset offsets to offset from datetime. Format: \'YYYY-MM-DDThh:mm:ss.sss\'' -r
complete -c kafka-consumer-groups -l by-duration -d 'Reset offsets by duration from current timestamp. Format: \'PnDTnHnMnS\'' -r
complete -c kafka-consumer-groups -l shift-by -d 'Reset offsets shifting current offset by \'n\', where \'n\' can be positive or negative.' -r
complete -c kafka-consumer-groups -l state -d 'When specified with --describe, it displays the state of the group. Example: --bootstrap-server localhost:9092 --describe --group group1 --state When specified with --list, it displays the states of the groups. It can also be used to list groups with specific states. Example: --bootstrap-server localhost:9092 --list --state stable,empty This option may be used with --describe and --list options only.' -r
complete -c kafka-consumer-groups -l type -d 'When specified with --list, it displays the types of the groups. It can also be used to list groups with specific types. Example: --bootstrap-server localhost:9092 --list --type classic,consumer This option may be used with the --list option only.' -r
complete -c kafka-consumer-groups -l validate-regex -d 'Validate the syntax of the regular expression according to the RE2 format.' -r
complete -c kafka-consumer-groups -l output -d 'kafkit extension: output format of --list, --describe and --reset-offsets plans: `text` (Apache\'s, the default) or `json`.' -r
complete -c kafka-consumer-groups -l all-topics -d 'Apply to all topics.'
complete -c kafka-consumer-groups -l list -d 'List all consumer groups.'
complete -c kafka-consumer-groups -l describe -d 'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.'
complete -c kafka-consumer-groups -l all-groups -d 'Apply to all consumer groups.'
complete -c kafka-consumer-groups -l delete -d 'Delete topic partition offsets and ownership information for one or more consumer groups.'
complete -c kafka-consumer-groups -l reset-offsets -d 'Reset offsets of consumer group. Supports one consumer group at a time, and instances should be inactive Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option can be used to generate the offsets in CSV format for export to a file. You must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset. To define the scope, use --all-topics or --topic. The scope must be specified unless you use --from-file.'
complete -c kafka-consumer-groups -l delete-offsets -d 'Delete offsets of consumer group. Supports one consumer group at a time, and multiple topics.'
complete -c kafka-consumer-groups -l dry-run -d 'Output offset reset information without executing the operation. Supported operation: reset-offsets.'
complete -c kafka-consumer-groups -l execute -d 'Execute the offset reset operation. Supported operation: reset-offsets.'
complete -c kafka-consumer-groups -l export -d 'Generate offset reset information in CSV format for export to a file. Supported operation: reset-offsets.'
complete -c kafka-consumer-groups -l to-earliest -d 'Reset offsets to earliest offset.'
complete -c kafka-consumer-groups -l to-latest -d 'Reset offsets to latest offset.'
complete -c kafka-consumer-groups -l to-current -d 'Reset offsets to current offset.'
complete -c kafka-consumer-groups -l members -d 'Describe members of the group. This option may be used with the --describe option only. Example: --bootstrap-server localhost:9092 --describe --group group1 --members'
complete -c kafka-consumer-groups -l verbose -d 'Provide additional information, if any, when describing the group. This option may be used with the --describe option only.'
complete -c kafka-consumer-groups -l offsets -d 'Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with the --describe option only. Example: --bootstrap-server localhost:9092 --describe --group group1 --offsets'
complete -c kafka-consumer-groups -l lag-totals -d 'kafkit extension: after each group\'s offsets table, print the lag summed per topic and for the whole group.'
complete -c kafka-consumer-groups -l help -d 'Print usage information.'
complete -c kafka-consumer-groups -l version -d 'Display Kafka version.'
