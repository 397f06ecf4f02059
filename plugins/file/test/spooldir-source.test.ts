import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createHarness, sourceSuite, type SuiteHarness } from '@sluice/testkit';
import type { SluiceEvent } from '@sluice/core';
import { spooldirSource, type SpooldirSource, type SpooldirSourceConfig } from '../src/index.js';

function spoolConfig(spoolDir: string, overrides: Partial<SpooldirSourceConfig> = {}): SpooldirSourceConfig {
  return {
    spoolDir, fileSuffix: '.COMPLETED', deletePolicy: 'never', trackingPolicy: 'rename', trackerDir: '.flumespool',
    includePattern: '^.*$', ignorePattern: '^$', consumeOrder: 'oldest', recursiveDirectorySearch: false,
    fileHeader: false, fileHeaderKey: 'file', basenameHeader: false, basenameHeaderKey: 'basename', batchSize: 100,
    maxLineLength: 65536, lineOverflow: 'split', pollDelay: '20ms', readBufferSize: 262144, ...overrides,
  };
}

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const text = (items: string[]): string => items.map((l) => `${l}\n`).join('');

describe('spooldir source', () => {
  let root: string;
  let spool: string;
  let harness: SuiteHarness;
  let source: SpooldirSource | undefined;
  const events: SluiceEvent[] = [];

  /** Writes a file outside the spool directory and renames it in, as producers must. */
  function drop(name: string, content: string, mtime?: Date): string {
    const staged = path.join(root, `staged-${name}`);
    writeFileSync(staged, content);
    const target = path.join(spool, name);
    renameSync(staged, target);
    if (mtime) utimesSync(target, mtime, mtime);
    return target;
  }

  async function start(config: SpooldirSourceConfig, capacity?: number): Promise<SpooldirSource> {
    harness ??= await createHarness(capacity === undefined ? {} : { capacity });
    source = spooldirSource.create(config, harness.sourceContext('spool')) as SpooldirSource;
    await source.start();
    return source;
  }

  async function until(check: (bodies: string[]) => boolean, what: string, timeoutMs = 10000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tx = harness.channel.transaction();
      events.push(...(await tx.take(10000)));
      await tx.commit();
      const bodies = events.map((e) => e.body.toString());
      if (check(bodies)) return bodies;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; have ${bodies.length}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function settled(predicate: () => boolean, what: string): Promise<void> {
    await until(() => predicate(), what);
  }

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sluice-spool-'));
    spool = path.join(root, 'spool');
    mkdirSync(spool);
    events.length = 0;
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await harness?.close();
    harness = undefined as unknown as SuiteHarness;
    rmSync(root, { recursive: true, force: true });
  });

  it('reads files oldest first with file and basename headers, then renames them .COMPLETED', async () => {
    drop('b.log', text(lines('b', 3)), new Date(2000, 0, 2));
    drop('a.log', `${text(lines('a', 2))}no-newline-at-end`, new Date(2000, 0, 1));
    await start(spoolConfig(spool, { fileHeader: true, basenameHeader: true }));
    const bodies = await until((b) => b.length >= 6, 'six lines');
    expect(bodies).to.deep.equal([...lines('a', 2), 'no-newline-at-end', ...lines('b', 3)]);
    expect(events[0]!.headers).to.deep.equal({ file: path.join(spool, 'a.log'), basename: 'a.log' });
    await settled(() => readdirSync(spool).filter((f) => !f.startsWith('.')).sort().join() === 'a.log.COMPLETED,b.log.COMPLETED', 'renames');
  });

  it('reads the youngest first with consumeOrder youngest', async () => {
    drop('old.log', 'old\n', new Date(2000, 0, 1));
    drop('new.log', 'new\n', new Date(2001, 0, 1));
    await start(spoolConfig(spool, { consumeOrder: 'youngest' }));
    expect(await until((b) => b.length >= 2, 'two lines')).to.deep.equal(['new', 'old']);
  });

  it('deletes delivered files with deletePolicy immediate', async () => {
    drop('x.log', 'x\n');
    await start(spoolConfig(spool, { deletePolicy: 'immediate' }));
    await until((b) => b.length >= 1, 'line');
    await settled(() => readdirSync(spool).filter((f) => !f.startsWith('.')).length === 0, 'deletion');
  });

  it('leaves files in place and records them in trackerDir with trackingPolicy tracker_dir, never reading them twice', async () => {
    drop('t.log', text(lines('t', 3)));
    const config = spoolConfig(spool, { trackingPolicy: 'tracker_dir', trackerDir: path.join(root, 'tracker') });
    await start(config);
    await until((b) => b.length >= 3, 'three lines');
    await settled(() => existsSync(path.join(root, 'tracker', 't.log.COMPLETED')), 'marker');
    expect(existsSync(path.join(spool, 't.log'))).to.equal(true);
    await source!.stop();
    await start(config);
    drop('u.log', 'u\n');
    expect(await until((b) => b.includes('u'), 'next file')).to.deep.equal([...lines('t', 3), 'u']);
  });

  it('honours includePattern and ignorePattern and skips hidden files', async () => {
    drop('keep.log', 'keep\n');
    drop('skip.tmp', 'tmp\n');
    drop('skip-me.log', 'ignored\n');
    drop('.hidden.log', 'hidden\n');
    await start(spoolConfig(spool, { includePattern: '\\.log$', ignorePattern: '^skip' }));
    await until((b) => b.length >= 1, 'kept file');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await until(() => true, 'nothing more')).to.deep.equal(['keep']);
  });

  it('reads subdirectories with recursiveDirectorySearch', async () => {
    mkdirSync(path.join(spool, 'sub'));
    writeFileSync(path.join(spool, 'sub', 'deep.log'), 'deep\n');
    await start(spoolConfig(spool, { recursiveDirectorySearch: true }));
    expect(await until((b) => b.length >= 1, 'deep file')).to.deep.equal(['deep']);
    await settled(() => existsSync(path.join(spool, 'sub', 'deep.log.COMPLETED')), 'rename in subdirectory');
  });

  it('refuses a file that grows while it is read with SLUICE_FILE_CHANGED and sets it aside as .FAILED', async () => {
    const file = drop('growing.log', text(lines('g', 30)));
    // A channel of 10 holds the source on its second batch while the file changes.
    await start(spoolConfig(spool, { batchSize: 10 }), 10);
    const deadline = Date.now() + 5000;
    while (harness.channel.size < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    appendFileSync(file, 'late line\n');
    const bodies = await until(() => existsSync(`${file}.FAILED`), '.FAILED rename');
    expect(bodies).to.not.include('late line');
    const failure = harness.events.find((e) => e.type === 'component.error');
    expect((failure?.error as { code?: string } | undefined)?.code).to.equal('SLUICE_FILE_CHANGED');
    drop('next.log', 'next\n');
    expect(await until((b) => b.includes('next'), 'the next file still read')).to.include('next');
  });

  it('resumes a file after a restart without repeating committed lines', async () => {
    drop('big.log', text(lines('r', 50)));
    const config = spoolConfig(spool, { batchSize: 10 });
    await start(config, 20);
    const deadline = Date.now() + 5000;
    while (harness.channel.size < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await source!.stop();
    source = spooldirSource.create(config, harness.sourceContext('spool')) as SpooldirSource;
    await source.start();
    expect(await until((b) => b.length >= 50, 'all lines')).to.deep.equal(lines('r', 50));
  });
});

describe('spooldir source conformance', () => {
  let dir: string | undefined;
  let n = 0;
  sourceSuite({
    factory: (ctx) => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-spool-suite-'));
      mkdirSync(path.join(dir, 'spool'));
      return spooldirSource.create(spoolConfig(path.join(dir, 'spool'), { batchSize: 5 }), ctx);
    },
    produce: async (_source, bodies) => {
      const staged = path.join(dir!, `staged-${n}`);
      writeFileSync(staged, text(bodies));
      renameSync(staged, path.join(dir!, 'spool', `part-${n++}.log`));
    },
    capabilities: { backpressure: true },
    cleanup: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  });
});
