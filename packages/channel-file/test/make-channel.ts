import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createComponentContext, type ComponentContext } from '@sluice/core';
import { FileChannel, fileChannel, type FileChannelConfig } from '@sluice/channel-file';

/** Test defaults: no free-space floor, short keepAlive. */
export function channelConfig(dataDir: string, overrides: Partial<FileChannelConfig> = {}): FileChannelConfig {
  return {
    dataDir, capacity: 1_000_000, byteCapacity: '0', transactionCapacity: 10000, fsync: 'always',
    fsyncInterval: '1s', minFreeSpace: '0', keepAlive: '100ms', maxFileSize: '64MiB', ...overrides,
  };
}

/** Creates a (not started) file channel through its component definition, as the agent does. */
export function makeChannel(dataDir: string, overrides: Partial<FileChannelConfig> = {}, ctx?: ComponentContext): FileChannel {
  return fileChannel.create(channelConfig(dataDir, overrides), ctx ?? createComponentContext({ name: 'c1', kind: 'CHANNEL' })) as FileChannel;
}

/** A temporary directory, removed by `cleanup()`. */
export class TempRoot {
  readonly path = mkdtempSync(path.join(os.tmpdir(), 'sluice-file-channel-'));
  dir(name: string): string {
    return path.join(this.path, name);
  }
  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
