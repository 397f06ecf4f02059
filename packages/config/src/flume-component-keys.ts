/**
 * The keys Flume 1.11 reads for each of its components that Sluice has, keyed by Sluice `kind type`
 * (Flume User Guide, 1.10.1 text at apache/flume a0da8e3^, and the components' sources; `<x>`
 * parts such as `mapping.<value>` appear with a sample name). The config loader uses them for
 * "did you mean" on a mistyped Flume key (`hdfs.rollIntreval`); a test checks that every one of them
 * is mapped or explained by the component's `fromFlume`.
 */
export const FLUME_COMPONENT_KEYS: Readonly<Record<string, readonly string[]>> = {
  'source netcat': ['bind', 'port', 'max-line-length', 'ack-every-event'],
  'source netcat_udp': ['bind', 'port', 'remoteAddressHeader'],
  'source seq': ['batchSize', 'totalEvents'],
  'source syslog_tcp': ['host', 'port', 'eventSize', 'keepFields', 'clientIPHeader', 'clientHostnameHeader', 'ssl', 'keystore', 'keystore-password', 'keystore-type', 'exclude-protocols', 'include-protocols', 'exclude-cipher-suites', 'include-cipher-suites', 'ports', 'portHeader', 'batchSize', 'numProcessors', 'readBufferSize', 'charset.default', 'charset.port.5140'],
  'source syslog_udp': ['host', 'port', 'keepFields', 'clientIPHeader', 'clientHostnameHeader'],
  'source http': ['port', 'bind', 'handler', 'handler.foo', 'ssl', 'enableSSL', 'keystore', 'keystore-password', 'keystore-type', 'exclude-protocols', 'QueuedThreadPool.MaxThreads', 'ServerConnector.idleTimeout', 'HttpConfiguration.sendServerVersion', 'SslContextFactory.x'],
  'source avro': ['bind', 'port', 'threads', 'compression-type', 'ssl', 'keystore', 'keystore-password', 'keystore-type', 'exclude-protocols', 'include-protocols', 'ipFilter', 'ipFilterRules'],
  'source spooldir': ['spoolDir', 'fileSuffix', 'deletePolicy', 'fileHeader', 'fileHeaderKey', 'basenameHeader', 'basenameHeaderKey', 'includePattern', 'ignorePattern', 'trackerDir', 'trackingPolicy', 'consumeOrder', 'pollDelay', 'recursiveDirectorySearch', 'maxBackoff', 'batchSize', 'inputCharset', 'decodeErrorPolicy', 'deserializer', 'deserializer.maxLineLength', 'deserializer.outputCharset', 'bufferMaxLines', 'bufferMaxLineLength'],
  'source taildir': ['filegroups', 'filegroups.f1', 'positionFile', 'headers.f1.k', 'byteOffsetHeader', 'skipToEnd', 'idleTimeout', 'writePosInterval', 'batchSize', 'maxBatchCount', 'backoffSleepIncrement', 'maxBackoffSleep', 'cachePatternMatching', 'fileHeader', 'fileHeaderKey'],
  'source kafka': ['kafka.bootstrap.servers', 'kafka.topics', 'kafka.topics.regex', 'kafka.consumer.group.id', 'batchSize', 'batchDurationMillis', 'useFlumeEventFormat', 'setTopicHeader', 'topicHeader', 'header.foo', 'kafka.consumer.max.poll.records', 'migrateZookeeperOffsets'],
  'channel memory': ['capacity', 'transactionCapacity', 'keep-alive', 'byteCapacityBufferPercentage', 'byteCapacity'],
  'channel file': ['checkpointDir', 'useDualCheckpoints', 'backupCheckpointDir', 'dataDirs', 'transactionCapacity', 'checkpointInterval', 'maxFileSize', 'minimumRequiredSpace', 'capacity', 'keep-alive', 'use-log-replay-v1', 'use-fast-replay', 'checkpointOnClose', 'encryption.activeKey', 'encryption.cipherProvider', 'encryption.keyProvider', 'fsyncPerTransaction', 'fsyncInterval'],
  'channel kafka': ['kafka.bootstrap.servers', 'kafka.topic', 'kafka.consumer.group.id', 'parseAsFlumeEvent', 'pollTimeout', 'defaultPartitionId', 'partitionIdHeader', 'kafka.consumer.auto.offset.reset', 'kafka.producer.acks'],
  'sink logger': ['maxBytesToLog'],
  'sink null': ['batchSize'],
  'sink file_roll': ['sink.directory', 'sink.pathManager', 'sink.pathManager.extension', 'sink.pathManager.prefix', 'sink.rollInterval', 'sink.serializer', 'sink.batchSize'],
  'sink avro': ['hostname', 'port', 'batch-size', 'connect-timeout', 'request-timeout', 'reset-connection-interval', 'compression-type', 'compression-level', 'ssl', 'trust-all-certs', 'truststore', 'truststore-password', 'truststore-type', 'exclude-protocols', 'maxIoWorkers'],
  'sink http': ['endpoint', 'connectTimeout', 'requestTimeout', 'contentTypeHeader', 'acceptHeader', 'defaultBackoff', 'defaultRollback', 'defaultIncrementMetrics', 'backoff.200', 'rollback.200', 'incrementMetrics.200', 'backoff.4XX'],
  'sink kafka': ['kafka.bootstrap.servers', 'kafka.topic', 'flumeBatchSize', 'kafka.producer.acks', 'useFlumeEventFormat', 'defaultPartitionId', 'partitionIdHeader', 'allowTopicOverride', 'topicHeader', 'timestampHeader', 'header.foo', 'kafka.producer.transactional.id'],
  'sink hdfs': ['hdfs.path', 'hdfs.filePrefix', 'hdfs.fileSuffix', 'hdfs.inUsePrefix', 'hdfs.inUseSuffix', 'hdfs.emptyInUseSuffix', 'hdfs.rollInterval', 'hdfs.rollSize', 'hdfs.rollCount', 'hdfs.idleTimeout', 'hdfs.batchSize', 'hdfs.codeC', 'hdfs.fileType', 'hdfs.maxOpenFiles', 'hdfs.minBlockReplicas', 'hdfs.writeFormat', 'hdfs.threadsPoolSize', 'hdfs.rollTimerPoolSize', 'hdfs.kerberosPrincipal', 'hdfs.kerberosKeytab', 'hdfs.proxyUser', 'hdfs.round', 'hdfs.roundValue', 'hdfs.roundUnit', 'hdfs.timeZone', 'hdfs.useLocalTimeStamp', 'hdfs.closeTries', 'hdfs.retryInterval', 'hdfs.callTimeout', 'serializer', 'serializer.appendNewline'],
  'interceptor timestamp': ['headerName', 'preserveExisting'],
  'interceptor host': ['preserveExisting', 'useIP', 'hostHeader'],
  'interceptor static': ['preserveExisting', 'key', 'value'],
  'interceptor remove_header': ['withName', 'fromList', 'fromListSeparator', 'matching'],
  'interceptor uuid': ['headerName', 'preserveExisting', 'prefix'],
  'interceptor regex_filter': ['regex', 'excludeEvents'],
  'interceptor regex_extractor': ['regex', 'serializers', 'serializers.s1.type', 'serializers.s1.name', 'serializers.s1.pattern'],
  'interceptor search_replace': ['searchPattern', 'replaceString', 'charset'],
  'selector multiplexing': ['header', 'default', 'mapping.a', 'optional.a'],
  'selector replicating': ['optional'],
  'selector load_balancing': ['policy'],
  'processor failover': ['priority.k1', 'maxpenalty'],
  'processor load_balance': ['backoff', 'selector', 'selector.maxTimeOut'],
};
