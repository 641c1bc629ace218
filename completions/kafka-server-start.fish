complete -c kafka-server-start -l override -d 'Set a property over the file\'s value (repeatable)' -r
complete -c kafka-server-start -l daemon -d 'Run in the background (new process group, stdin from /dev/null), appending output to $LOG_DIR/kafkaServer.out (default ./logs/kafkaServer.out). Apache spells it -daemon'
complete -c kafka-server-start -s h -l help -d 'Print help'
complete -c kafka-server-start -s V -l version -d 'Print version'
