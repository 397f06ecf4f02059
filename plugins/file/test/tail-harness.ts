import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHarness, type SuiteHarness } from '@sluice/testkit';
import type { SluiceEvent } from '@sluice/core';
import { TaildirSource, taildirSource, type TaildirSourceConfig } from '../src/index.js';

/** Defaults of the taildir schema, with fast polling for tests. */
export function taildirConfig(overrides: Partial<TaildirSourceConfig> & Pick<TaildirSourceConfig, 'filegroups'>): TaildirSourceConfig {
  return {
    headers: {}, positionFile: '', skipToEnd: false, fileHeader: false, fileHeaderKey: 'file', byteOffsetHeader: false, batchSize: 100,
    maxLineLength: 65536, lineOverflow: 'split', multilineStartPattern: '', multilineTimeout: '1s', idleTimeout: '2m',
    pollInterval: '50ms', writePosInterval: '0', readBufferSize: 262144,
    ...overrides,
  };
}

/** A taildir source delivering into a memory channel, and the events taken from it so far. */
export class TailRig {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-taildir-'));
  harness!: SuiteHarness;
  source: TaildirSource | undefined;
  readonly events: SluiceEvent[] = [];

  async open(): Promise<this> {
    this.harness = await createHarness();
    return this;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async start(config: TaildirSourceConfig): Promise<TaildirSource> {
    const positionFile = config.positionFile || this.file('positions.json');
    this.source = taildirSource.create({ ...config, positionFile }, this.harness.sourceContext('tail')) as TaildirSource;
    await this.source.start();
    return this.source;
  }

  async stopSource(): Promise<void> {
    await this.source?.stop();
    this.source = undefined;
  }

  /** Moves what the channel holds into `events` and returns the bodies as strings. */
  async drain(): Promise<string[]> {
    for (;;) {
      const tx = this.harness.channel.transaction();
      const got = await tx.take(10000);
      await tx.commit();
      this.events.push(...got);
      if (got.length === 0) break;
    }
    return this.events.map((e) => e.body.toString());
  }

  /** Drains until `check` holds for the bodies, or fails after `timeoutMs`. */
  async until(check: (bodies: string[]) => boolean, what: string, timeoutMs = 10000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const bodies = await this.drain();
      if (check(bodies)) return bodies;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; have ${bodies.length} events, last: ${JSON.stringify(bodies.slice(-3))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    await this.stopSource().catch(() => undefined);
    await this.harness?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
