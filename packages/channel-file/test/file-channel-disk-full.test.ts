import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { errorCode, type SluiceEvent } from '@sluice/core';
import type { FileChannel } from '@sluice/channel-file';
import { body, drain, verifiedNumbers } from './fill.js';
import { makeChannel, TempRoot } from './make-channel.js';

const SIZE = 1000;
const PER_BATCH = 100;

/** Batch b of PER_BATCH numbered events (about 100 KB as a record). */
function batch(b: number): SluiceEvent[] {
  return Array.from({ length: PER_BATCH }, (_, i) => {
    const n = b * PER_BATCH + i;
    return { headers: { n: String(n) }, body: body(n, SIZE) };
  });
}

/** Puts one batch; returns the error code when the commit fails (after rolling back). */
async function put(channel: FileChannel, b: number): Promise<string | undefined> {
  const tx = channel.transaction();
  tx.put(batch(b));
  try {
    await tx.commit();
    return undefined;
  } catch (error) {
    await tx.rollback();
    return errorCode(error);
  }
}

/**
 * A real full disk: a 4 MiB tmpfs mounted for this test (needs root; skipped otherwise). minFreeSpace
 * is off, so the write itself hits ENOSPC.
 */
describe('file channel on a disk that fills up', function () {
  this.timeout(30000);
  const root = new TempRoot();
  const mountPoint = path.join(root.path, 'small-disk');
  let mounted = false;
  let channel: FileChannel | undefined;

  before(function () {
    if (process.getuid?.() !== 0) this.skip();
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'pipe' });
      mounted = true;
    } catch {
      this.skip();
    }
  });
  after(async () => {
    await channel?.stop();
    if (mounted) execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
    root.cleanup();
  });

  it('the commit that does not fit fails with SLUICE_CHANNEL_FULL; what was committed stays, and a restart counts nothing as lost', async () => {
    const filler = path.join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(1024 * 1024));
    const dataDir = path.join(mountPoint, 'channel');
    channel = makeChannel(dataDir);
    await channel.start();

    let committed = 0;
    let failure: string | undefined;
    while (failure === undefined && committed < 100) {
      failure = await put(channel, committed);
      if (failure === undefined) committed++;
    }
    expect(failure, 'the write that did not fit').to.equal('SLUICE_CHANNEL_FULL');
    expect(committed, 'batches that fitted').to.be.within(5, 40);
    expect(channel.size).to.equal(committed * PER_BATCH);
    // A second attempt fails the same way and leaves nothing behind either.
    expect(await put(channel, committed)).to.equal('SLUICE_CHANNEL_FULL');

    rmSync(filler);
    expect(await put(channel, committed), 'with room again the next commit succeeds').to.equal(undefined);
    committed++;
    await channel.stop();

    channel = makeChannel(dataDir);
    await channel.start();
    expect(channel.size).to.equal(committed * PER_BATCH);
    expect(channel.metrics.get('CorruptBatchCount'), 'the sequences of the failed writes are not reported as lost').to.equal(0);
    expect(verifiedNumbers(await drain(channel), SIZE)).to.deep.equal(Array.from({ length: committed * PER_BATCH }, (_, n) => n));
  });
  it('pipelined puts (4 in flight) on a filling disk: the batches stored are a prefix of those sent, none after a failed one, and a restart counts nothing as lost', async () => {
    // The disk to itself: the channel of the test above goes.
    await channel?.stop();
    rmSync(path.join(mountPoint, 'channel'), { recursive: true, force: true });
    const filler = path.join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(1024 * 1024));
    const dataDir = path.join(mountPoint, 'pipelined');
    channel = makeChannel(dataDir);
    await channel.start();
    const target = channel;

    // As a pipelined source does: up to 4 commits in flight, acknowledged in order.
    const outcomes: (string | undefined)[] = [];
    const inFlight: Promise<void>[] = [];
    let failedAt = -1;
    for (let b = 0; b < 100 && failedAt < 0; b++) {
      inFlight.push(put(target, b).then((code) => {
        outcomes[b] = code;
        if (code !== undefined && failedAt < 0) failedAt = b;
      }));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const committed = outcomes.findIndex((code) => code !== undefined);
    expect(committed, 'batches that fitted').to.be.within(5, 40);
    expect(outcomes.slice(committed).every((code) => code !== undefined), `no batch after the first failed one was stored: ${outcomes.join(',')}`).to.equal(true);
    expect(outcomes[committed]).to.equal('SLUICE_CHANNEL_FULL');
    expect(target.size).to.equal(committed * PER_BATCH);

    rmSync(filler);
    expect(await put(target, committed), 'with room again the next commit succeeds').to.equal(undefined);
    await target.stop();

    channel = makeChannel(dataDir);
    await channel.start();
    expect(channel.metrics.get('CorruptBatchCount'), 'the sequences of failed and discarded puts are not reported as lost').to.equal(0);
    expect(verifiedNumbers(await drain(channel), SIZE)).to.deep.equal(Array.from({ length: (committed + 1) * PER_BATCH }, (_, n) => n));
  });
});
