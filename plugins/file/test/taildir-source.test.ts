import { appendFileSync, copyFileSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { sourceSuite } from '@sluice/testkit';
import { taildirSource, type TaildirSource } from '../src/index.js';
import { taildirConfig, TailRig } from './tail-harness.js';

const lines = (prefix: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${from + i}`);
const text = (items: string[]): string => items.map((l) => `${l}\n`).join('');

describe('taildir source', () => {
  let rig: TailRig;
  beforeEach(async () => {
    rig = await new TailRig().open();
  });
  afterEach(async () => {
    await rig.close();
  });

  it('delivers the lines already in a file and those appended later, in order', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('a', 50)));
    await rig.start(taildirConfig({ filegroups: { app: `${rig.dir}/*.log` } }));
    appendFileSync(log, text(lines('a', 50, 50)));
    const bodies = await rig.until((b) => b.length >= 100, '100 lines');
    expect(bodies).to.deep.equal(lines('a', 100));
  });

  it('adds the group headers and the file header', async () => {
    writeFileSync(rig.file('a.log'), 'one\n');
    writeFileSync(rig.file('b.txt'), 'two\n');
    await rig.start(taildirConfig({
      filegroups: { logs: `${rig.dir}/*.log`, texts: `${rig.dir}/*.txt` },
      headers: { logs: { kind: 'log' }, texts: { kind: 'text', team: 'x' } },
      fileHeader: true, fileHeaderKey: 'path',
    }));
    await rig.until((b) => b.length >= 2, 'two lines');
    const byBody = Object.fromEntries(rig.events.map((e) => [e.body.toString(), e.headers]));
    expect(byBody.one).to.deep.equal({ kind: 'log', path: rig.file('a.log') });
    expect(byBody.two).to.deep.equal({ kind: 'text', team: 'x', path: rig.file('b.txt') });
  });

  it('adds the byte offset of each line with byteOffsetHeader', async () => {
    writeFileSync(rig.file('a.log'), 'one\r\ntwo\nthree\n');
    await rig.start(taildirConfig({ filegroups: { app: `${rig.dir}/*.log` }, byteOffsetHeader: true }));
    await rig.until((b) => b.length >= 3, 'three lines');
    expect(rig.events.map((e) => [e.body.toString(), e.headers.byteoffset])).to.deep.equal([['one', '0'], ['two', '5'], ['three', '9']]);
  });

  it('follows files that appear after start', async () => {
    await rig.start(taildirConfig({ filegroups: { app: `${rig.dir}/*.log` } }));
    writeFileSync(rig.file('late.log'), text(lines('late', 10)));
    expect(await rig.until((b) => b.length >= 10, 'the late file')).to.deep.equal(lines('late', 10));
  });

  it('resumes from the position file after a restart without repeating committed lines', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('r', 30)));
    const config = taildirConfig({ filegroups: { app: log } });
    await rig.start(config);
    await rig.until((b) => b.length >= 30, 'first 30');
    await rig.stopSource();
    const positions = JSON.parse(readFileSync(rig.file('positions.json'), 'utf8')) as { inode: number; pos: number; file: string }[];
    expect(positions).to.have.length(1);
    expect(positions[0]).to.include({ inode: statSync(log).ino, pos: statSync(log).size, file: log });
    appendFileSync(log, text(lines('r', 20, 30)));
    await rig.start(config);
    expect(await rig.until((b) => b.length >= 50, 'all 50')).to.deep.equal(lines('r', 50));
  });

  it('skipToEnd starts unknown files at their end but still reads what is appended', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('old', 10)));
    await rig.start(taildirConfig({ filegroups: { app: log }, skipToEnd: true }));
    appendFileSync(log, text(lines('new', 3)));
    expect(await rig.until((b) => b.length >= 3, 'new lines')).to.deep.equal(lines('new', 3));
  });

  it('keeps reading a file renamed away (rotation by rename) to its end, then reads the new file', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('one', 5)));
    await rig.start(taildirConfig({ filegroups: { app: log } }));
    await rig.until((b) => b.length >= 5, 'first lines');
    renameSync(log, rig.file('app.log.1'));
    appendFileSync(rig.file('app.log.1'), text(lines('one', 5, 5)));
    writeFileSync(log, text(lines('two', 5)));
    const bodies = await rig.until((b) => b.length >= 15, 'both files');
    expect(bodies.filter((b) => b.startsWith('one'))).to.deep.equal(lines('one', 10));
    expect(bodies.filter((b) => b.startsWith('two'))).to.deep.equal(lines('two', 5));
  });

  it('reads a truncated file again from the start', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('before', 20)));
    await rig.start(taildirConfig({ filegroups: { app: log } }));
    await rig.until((b) => b.length >= 20, 'before truncation');
    truncateSync(log, 0);
    appendFileSync(log, text(lines('after', 3)));
    const bodies = await rig.until((b) => b.length >= 23, 'after truncation');
    expect(bodies.slice(20)).to.deep.equal(lines('after', 3));
    expect(rig.harness.events.length).to.be.greaterThan(0);
  });

  for (const idle of [false, true]) {
    it(`continues a copytruncate copy where the ${idle ? 'idle-closed' : 'open'} original was, reading nothing twice`, async () => {
      const log = rig.file('app.log');
      writeFileSync(log, text(lines('gen1', 20)));
      const source = await rig.start(taildirConfig({ filegroups: { app: `${log}*` }, idleTimeout: idle ? '50ms' : '2m' }));
      await rig.until((b) => b.length >= 20, 'first generation');
      if (idle) {
        const deadline = Date.now() + 5000;
        while (metric(source, rig, 'OpenFileCount') !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // (appending now would reopen an idle file before the copy appears)
      if (!idle) appendFileSync(log, text(lines('gen1', 5, 20)));
      const gen1 = idle ? 20 : 25;
      // What logrotate copytruncate does: copy, then truncate in place; the writer goes on.
      copyFileSync(log, rig.file('app.log.1'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      truncateSync(log, 0);
      appendFileSync(log, text(lines('gen2', 5)));
      await rig.until((b) => b.filter((x) => x.startsWith('gen2')).length >= 5 && b.length >= gen1 + 5, 'both generations');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await rig.drain()).to.have.members([...lines('gen1', gen1), ...lines('gen2', 5)]).and.have.length(gen1 + 5);
    });
  }

  it('continues a copy made by copytruncate while the agent was down where the original was', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('gen1', 20)));
    const config = taildirConfig({ filegroups: { app: `${rig.dir}/app*` } });
    await rig.start(config);
    await rig.until((b) => b.length >= 20, 'first generation');
    await rig.stopSource();
    appendFileSync(log, text(lines('gen1', 5, 20)));
    // Sorted before app.log, so it is examined before the truncated original.
    copyFileSync(log, rig.file('app-1.log'));
    truncateSync(log, 0);
    appendFileSync(log, text(lines('gen2', 5)));
    await rig.start(config);
    await rig.until((b) => b.length >= 30, 'rest of both generations');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await rig.drain()).to.have.members([...lines('gen1', 25), ...lines('gen2', 5)]).and.have.length(30);
  });

  it('reads a new file that only shares a long header with a followed file from its start', async () => {
    const header = `${'id,name,'.repeat(40)}end\n`;
    writeFileSync(rig.file('a.csv'), header + text(lines('a', 50)));
    await rig.start(taildirConfig({ filegroups: { csv: `${rig.dir}/*.csv` } }));
    await rig.until((b) => b.length >= 51, 'first file');
    writeFileSync(rig.file('b.csv'), header + text(lines('b', 3)));
    const bodies = await rig.until((b) => b.filter((x) => x.startsWith('b-')).length >= 3, 'second file');
    expect(bodies.filter((x) => x.startsWith('b-'))).to.deep.equal(lines('b', 3));
  });

  it('tells a reused inode apart by its fingerprint and reads the new file from the start', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('new-content', 4)));
    const st = statSync(log);
    // A position file claiming this inode for a file with other first bytes, read up to byte 30.
    writeFileSync(rig.file('positions.json'), JSON.stringify([{ inode: st.ino, dev: st.dev, pos: 30, file: log, fpLength: 10, fp: 'f'.repeat(40) }]));
    await rig.start(taildirConfig({ filegroups: { app: log } }));
    expect(await rig.until((b) => b.length >= 4, 'whole file')).to.deep.equal(lines('new-content', 4));
  });

  it('adopts a Flume position file (inode, pos, file) and resumes at its offset', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('f', 10)));
    const offset = text(lines('f', 6)).length;
    writeFileSync(rig.file('positions.json'), JSON.stringify([{ inode: statSync(log).ino, pos: offset, file: log }]));
    await rig.start(taildirConfig({ filegroups: { app: log } }));
    expect(await rig.until((b) => b.length >= 4, 'rest of file')).to.deep.equal(lines('f', 4, 6));
  });

  it('drains a file that was rotated out of its glob while the agent was down', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, text(lines('x', 10)));
    const config = taildirConfig({ filegroups: { app: log } });
    await rig.start(config);
    await rig.until((b) => b.length >= 10, 'first 10');
    await rig.stopSource();
    appendFileSync(log, text(lines('x', 5, 10)));
    renameSync(log, rig.file('app.log-20260101'));
    writeFileSync(log, text(lines('y', 2)));
    await rig.start(config);
    const bodies = await rig.until((b) => b.length >= 17, 'tail of the rotated file and the new one');
    expect(bodies.filter((b) => b.startsWith('x'))).to.deep.equal(lines('x', 15));
    expect(bodies.filter((b) => b.startsWith('y'))).to.deep.equal(lines('y', 2));
  });

  it('splits lines longer than maxLineLength and counts them', async () => {
    writeFileSync(rig.file('a.log'), `short\n${'a'.repeat(25)}\nend\n`);
    const source = await rig.start(taildirConfig({ filegroups: { app: `${rig.dir}/*.log` }, maxLineLength: 10 }));
    const bodies = await rig.until((b) => b.includes('end'), 'end line');
    expect(bodies).to.deep.equal(['short', 'a'.repeat(10), 'a'.repeat(10), 'a'.repeat(5), 'end']);
    expect(metric(source, rig, 'LineSplitCount')).to.equal(1);
  });

  it('drops lines longer than maxLineLength when lineOverflow is drop, and counts them', async () => {
    writeFileSync(rig.file('a.log'), `short\n${'a'.repeat(25)}\nend\n${'b'.repeat(40)}`);
    const source = await rig.start(taildirConfig({ filegroups: { app: `${rig.dir}/*.log` }, maxLineLength: 10, lineOverflow: 'drop' }));
    await rig.until((b) => b.includes('end'), 'end line');
    appendFileSync(rig.file('a.log'), 'more\nlast\n');
    const bodies = await rig.until((b) => b.includes('last'), 'last line');
    expect(bodies).to.deep.equal(['short', 'end', 'last']);
    expect(metric(source, rig, 'LineDroppedCount')).to.equal(2);
  });

  it('joins stack-trace lines into one record with multilineStartPattern', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, [
      '2026-11-26 10:00:00 ERROR boom',
      'java.lang.IllegalStateException: bad',
      '\tat a.b.C.d(C.java:10)',
      '\tat a.b.C.main(C.java:3)',
      '2026-11-26 10:00:01 INFO fine',
      '2026-11-26 10:00:02 WARN last',
    ].join('\n') + '\n');
    await rig.start(taildirConfig({ filegroups: { app: log }, multilineStartPattern: '^\\d{4}-\\d{2}-\\d{2} ', multilineTimeout: '200ms' }));
    const bodies = await rig.until((b) => b.length >= 3, 'three records');
    expect(bodies).to.deep.equal([
      '2026-11-26 10:00:00 ERROR boom\njava.lang.IllegalStateException: bad\n\tat a.b.C.d(C.java:10)\n\tat a.b.C.main(C.java:3)',
      '2026-11-26 10:00:01 INFO fine',
      '2026-11-26 10:00:02 WARN last',
    ]);
  });

  it('waits for the newline of a line being written', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, 'complete\npart');
    await rig.start(taildirConfig({ filegroups: { app: log } }));
    await rig.until((b) => b.length >= 1, 'first line');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await rig.drain()).to.deep.equal(['complete']);
    appendFileSync(log, 'ial\n');
    expect(await rig.until((b) => b.length >= 2, 'joined line')).to.deep.equal(['complete', 'partial']);
  });

  it('closes idle files and reopens them when they grow', async () => {
    const log = rig.file('app.log');
    writeFileSync(log, 'a\n');
    const source = await rig.start(taildirConfig({ filegroups: { app: log }, idleTimeout: '100ms' }));
    await rig.until((b) => b.length >= 1, 'first line');
    const deadline = Date.now() + 5000;
    while (metric(source, rig, 'OpenFileCount') !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(metric(source, rig, 'OpenFileCount')).to.equal(0);
    appendFileSync(log, 'b\n');
    expect(await rig.until((b) => b.length >= 2, 'line after reopen')).to.deep.equal(['a', 'b']);
  });

  it('forgets deleted files in the position file', async () => {
    const log = rig.file('gone.log');
    writeFileSync(log, 'a\n');
    await rig.start(taildirConfig({ filegroups: { app: `${rig.dir}/*.log` }, idleTimeout: '50ms' }));
    await rig.until((b) => b.length >= 1, 'line');
    unlinkSync(log);
    writeFileSync(rig.file('other.log'), 'b\n');
    await rig.until((b) => b.length >= 2, 'other file');
    const deadline = Date.now() + 5000;
    let files: string[] = [];
    while (Date.now() < deadline) {
      files = (JSON.parse(readFileSync(rig.file('positions.json'), 'utf8')) as { file: string }[]).map((e) => e.file);
      if (!files.includes(log)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(files).to.deep.equal([rig.file('other.log')]);
  });

  it('refuses to start on a corrupt position file with SLUICE_DATA_CORRUPT', async () => {
    writeFileSync(rig.file('positions.json'), '{"not": "an array"');
    const error = await rig.start(taildirConfig({ filegroups: { app: rig.file('x.log') } })).then(() => undefined, (e: unknown) => e);
    expect((error as { code?: string }).code).to.equal('SLUICE_DATA_CORRUPT');
  });
});

function metric(source: TaildirSource, rig: TailRig, name: string): number {
  void source;
  void rig;
  return (source as unknown as { ctx: { metrics: { get(n: string): number } } }).ctx.metrics.get(name);
}

describe('taildir source conformance', () => {
  let rig: TailRig | undefined;
  sourceSuite({
    factory: async (ctx) => {
      rig = await new TailRig().open();
      return taildirSource.create(taildirConfig({ filegroups: { app: `${rig.dir}/*.log` }, positionFile: rig.file('pos.json'), batchSize: 5 }), ctx);
    },
    produce: async (_source, bodies) => {
      appendFileSync(rig!.file('suite.log'), text(bodies));
    },
    capabilities: { backpressure: true },
    cleanup: async () => {
      await rig?.close();
      rig = undefined;
    },
  });
});
