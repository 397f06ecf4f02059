import { Kafka, logLevel } from 'kafkajs';
import { KafkaMockCluster } from '@sluice/testkit';
import { validateComponentConfig } from '@sluice/config';
import type { AnyComponentDefinition } from '@sluice/core';

/**
 * The Kafka cluster a test talks to: librdkafka's mock cluster by default, or the real cluster
 * named by `KAFKA_BROKERS=host:port[,...]` (topics created with the admin client there).
 */
export interface KafkaTestCluster {
  readonly brokers: readonly string[];
  /** `host:port,...` for kcat `-b`. */
  readonly bootstrap: string;
  /** The mock, when not running against a real cluster (broker down/up tests need it). */
  readonly mock: KafkaMockCluster | undefined;
  createTopic(name: string, partitions?: number): Promise<void>;
  stop(): Promise<void>;
}

let counter = 0;

/** A name no other test (or earlier run against a real cluster) used: topics and group ids. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** Starts (or connects to) the cluster for one suite; `stop()` it in `after`. */
export async function startKafkaTestCluster(): Promise<KafkaTestCluster> {
  const real = process.env.KAFKA_BROKERS?.trim();
  if (!real) {
    const mock = await KafkaMockCluster.start();
    return {
      brokers: mock.brokers,
      bootstrap: mock.bootstrap,
      mock,
      createTopic: (name, partitions = 1) => mock.createTopic(name, partitions),
      stop: () => mock.stop(),
    };
  }
  const brokers = real.split(',');
  const admin = new Kafka({ clientId: 'sluice-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    brokers,
    bootstrap: brokers.join(','),
    mock: undefined,
    async createTopic(name, partitions = 1) {
      await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
    },
    stop: () => admin.disconnect(),
  };
}

/** A component config with the schema's defaults applied; throws if the schema rejects it. */
export function configOf<C>(definition: AnyComponentDefinition, config: Record<string, unknown>): C {
  const problems: { path: string; message: string }[] = [];
  const full = validateComponentConfig(definition, config, '', problems, false);
  if (problems.length > 0) throw new TypeError(`invalid test config: ${JSON.stringify(problems)}`);
  return full as C;
}

/** Settings every test client uses against the mock: a fast rejoin and short empty fetches. */
export const FAST_GROUP = { sessionTimeout: '6s', heartbeatInterval: '500ms', fetchMaxWait: '100ms' } as const;
