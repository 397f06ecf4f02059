import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildKafkaMockHelper, kafkaMockHelperPath } from '../kafka/mock-cluster.js';
import { findCommand } from './find-command.js';
import { commandPeer, type TestPeer } from './test-peer.js';

/** librdkafka's mock cluster is usable when its helper is built, or gcc finds librdkafka's mock header. */
function kafkaMockBuildable(): boolean {
  if (existsSync(kafkaMockHelperPath())) return true;
  const gcc = findCommand('gcc');
  if (gcc === undefined) return false;
  const check = spawnSync(gcc, ['-E', '-x', 'c', '-', '-o', '/dev/null'], { input: '#include <librdkafka/rdkafka.h>\n#include <librdkafka/rdkafka_mock.h>\n', timeout: 10000 });
  return check.status === 0;
}

/** True when Debian's python (not a pyenv one earlier on PATH) imports every module. */
function debianPythonImports(...modules: string[]): boolean {
  if (!existsSync('/usr/bin/python3')) return false;
  return spawnSync('/usr/bin/python3', ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore', timeout: 10000 }).status === 0;
}

/**
 * Every real peer the test suite uses, by the name tests pass to `requirePeers`. One line per peer:
 * add yours here (a command from Debian packages with {@link commandPeer}, or a {@link TestPeer}
 * with its own detection, install command and build step), then guard the suites that use it.
 */
export const TEST_PEERS = {
  kcat: commandPeer('kcat', ['kcat'], 'an independent Kafka client (librdkafka)'),
  kafka: { description: "a Kafka cluster: librdkafka's mock (a helper built with gcc), or the one KAFKA_BROKERS names", debian: ['build-essential', 'librdkafka-dev'], detect: () => Boolean(process.env.KAFKA_BROKERS) || kafkaMockBuildable(), prepare: async () => { if (!process.env.KAFKA_BROKERS) await buildKafkaMockHelper(); } },
  rsyslog: commandPeer('rsyslogd', ['rsyslog'], 'the rsyslog daemon, forwarding to our syslog sources'),
  logrotate: commandPeer('logrotate', ['logrotate'], 'logrotate, rotating files that taildir follows'),
  logger: commandPeer('logger', ['bsdutils'], "util-linux's syslog client", { args: ['--help'], output: /--octet-count/ }),
  nc: commandPeer('nc', ['netcat-openbsd'], 'OpenBSD netcat (its -N closes after stdin ends)', { args: ['-h'], output: /-N\b/ }),
  curl: commandPeer('curl', ['curl'], 'an HTTP client'),
  openssl: commandPeer('openssl', ['openssl'], 'the openssl CLI: certificates, s_client and s_server'),
  zcat: commandPeer('zcat', ['gzip'], 'gzip, reading what the gzip serializer writes'),
  dot: commandPeer('dot', ['graphviz'], 'Graphviz, rendering `sluice graph --format dot`'),
  tmux: commandPeer('tmux', ['tmux'], 'a terminal multiplexer, driving `sluice tap` as a person would'),
  thrift: { description: "Debian's thrift compiler and python3-thrift: a client and a server generated from Flume's IDL", debian: ['thrift-compiler', 'python3-thrift'], detect: () => findCommand('thrift') !== undefined && debianPythonImports('thrift') },
  hadoopCodecs: { description: "python3-snappy and python3-lz4 (with Python's bz2): Hadoop codec streams read by implementations that are not ours", debian: ['python3-snappy', 'python3-lz4'], detect: () => debianPythonImports('snappy', 'lz4.block', 'bz2') },
} satisfies Record<string, TestPeer>;

/** A peer's name in {@link TEST_PEERS}. */
export type TestPeerName = keyof typeof TEST_PEERS;
