import { execFile } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { systemCommand } from './system-command.js';
import { taildirConfig, TailRig } from './tail-harness.js';
import { requirePeers } from '@sluice/testkit';

const run = promisify(execFile);

/**
 * Appends numbered lines to a log continuously (a few every 2 ms) through an O_APPEND descriptor,
 * like an application logging; `reopen` is what a postrotate signal makes the application do.
 */
class Writer {
  next = 0;
  private fd: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  start(): void {
    this.timer = setInterval(() => this.write(3), 2);
  }

  write(n: number): void {
    let chunk = '';
    for (let i = 0; i < n; i++) {
      chunk += `line ${String(this.next).padStart(7, '0')} ${'x'.repeat(this.next % 50)}\n`;
      this.next++;
    }
    writeSync(this.fd, chunk);
  }

  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
  }

  stop(): void {
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}

const seqOf = (body: string): number => Number(body.slice(5, 12));

for (const mode of ['create', 'copytruncate'] as const) {
  describe(`taildir with the real logrotate in ${mode} mode`, function () {
    before(function () { requirePeers(this, 'logrotate'); });
    this.timeout(30000);
    let rig: TailRig;
    let writer: Writer | undefined;
    beforeEach(async () => {
      rig = await new TailRig().open();
    });
    afterEach(async () => {
      writer?.stop();
      writer = undefined;
      await rig.close();
    });

    it(`delivers every line on disk exactly once, in order per file, while a writer appends through 6 rotations`, async () => {
      const log = rig.file('app.log');
      const conf = rig.file('logrotate.conf');
      writeFileSync(conf, `${log} {\n  ${mode}\n  rotate 100\n  missingok\n  nocompress\n}\n`);
      writer = new Writer(log);
      await rig.start(taildirConfig({ filegroups: { app: `${log}*` }, fileHeader: true, pollInterval: '50ms' }));
      writer.start();
      for (let i = 0; i < 6; i++) {
        // Rotations 3 and 4 follow each other at once: two rotations before the source looks.
        if (i !== 3) await new Promise((resolve) => setTimeout(resolve, 150));
        else writer.write(30);
        await run(systemCommand('logrotate'), ['-f', '-s', rig.file('logrotate.state'), conf]);
        if (mode === 'create') writer.reopen();
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      writer.stop();
      const written = writer.next;
      writer = undefined;
      // What the files on disk hold: copytruncate loses lines appended between its copy and its
      // truncate (in no file any more); create mode must keep everything.
      const onDisk = new Set(readdirSync(rig.dir).filter((f) => f.startsWith('app.log'))
        .flatMap((f) => readFileSync(rig.file(f), 'utf8').split('\n').filter(Boolean).map(seqOf)));
      if (mode === 'create') expect(onDisk.size, 'create mode keeps every line on disk').to.equal(written);
      else expect(onDisk.size).to.be.greaterThan(written * 0.9);
      const bodies = await rig.until((b) => [...onDisk].every((n) => b.length >= onDisk.size && new Set(b.map(seqOf)).has(n)), `${onDisk.size} lines`);

      const seqs = bodies.map(seqOf);
      expect(new Set(seqs).size, 'no line delivered twice').to.equal(seqs.length);
      // (tailing may also catch lines that copytruncate then lost from disk)
      expect(seqs.filter((n) => n < 0 || n >= written), 'nothing made up').to.deep.equal([]);
      const byFile = new Map<string, number[]>();
      rig.events.forEach((event, i) => {
        const list = byFile.get(event.headers.file!) ?? [];
        list.push(seqs[i]!);
        byFile.set(event.headers.file!, list);
      });
      for (const [file, list] of byFile) {
        expect(list.every((n, i) => i === 0 || n > list[i - 1]!), `lines of ${file} in order`).to.equal(true);
      }
      expect(readdirSync(rig.dir).filter((f) => /^app\.log\.\d+$/.test(f)), 'logrotate rotated 6 times').to.have.length(6);
    });
  });
}
