import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createEvent, isHeaderMap, type SluiceEvent } from '@sluice/core';
import { fc, fuzzTarget, onlySluiceErrors } from '@sluice/testkit';
import { decodeBatch, encodeBatch } from '../src/batch-codec.js';
import { scanDataFile } from '../src/scan-data-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');

/** A stored event: small, with header names an ordinary object would mishandle. */
const event = fc.record({
  body: fc.uint8Array({ maxLength: 24 }),
  headers: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'h', 'timestamp'), fc.string({ maxLength: 6 }), { maxKeys: 2 }),
});
const batches = fc.array(fc.array(event, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 });

/** Damage a crash, a bad disk or a stray writer can do to a data file. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('zero' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 300 }) }),
  // A stale copy of other bytes of the file (an old record's header, half a record).
  fc.record({ kind: fc.constant('copy' as const), at: fc.nat(), from: fc.nat(), length: fc.integer({ min: 1, max: 80 }), overwrite: fc.boolean() }),
);
type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

interface Placed { seq: number; events: SluiceEvent[]; offset: number; length: number; intact: boolean }

const plain = (e: SluiceEvent): string => JSON.stringify([Object.entries(e.headers), e.body.toString('hex')]);

function toEvents(raw: { body: Uint8Array; headers: Record<string, string> }[]): SluiceEvent[] {
  return raw.map((e) => {
    const event = createEvent(Buffer.from(e.body));
    for (const key of Object.keys(e.headers)) event.headers[key] = e.headers[key]!;
    return event;
  });
}

/** Applies the damage, keeping track of where each record went and whether a byte of it changed. */
function damageFile(file: Buffer, records: Placed[], damages: Damage[]): { bytes: Buffer; firstDamage: number } {
  let bytes = file;
  let firstDamage = Infinity;
  const touch = (from: number, to: number): void => {
    firstDamage = Math.min(firstDamage, from);
    for (const r of records) if (r.offset < to && from < r.offset + r.length) r.intact = false;
  };
  for (const d of damages) {
    const at = d.at % (bytes.length + 1);
    if (d.kind === 'truncate') {
      if (at < bytes.length) touch(at, Infinity);
      bytes = bytes.subarray(0, at);
    } else if (d.kind === 'flip') {
      if (at === bytes.length) continue;
      bytes = Buffer.from(bytes);
      bytes[at]! ^= d.mask;
      touch(at, at + 1);
    } else if (d.kind === 'zero') {
      const end = Math.min(bytes.length, at + d.length);
      if (end <= at) continue;
      bytes = Buffer.from(bytes);
      bytes.fill(0, at, end);
      touch(at, end);
    } else {
      const insert = d.kind === 'insert' ? Buffer.from(d.bytes) : Buffer.from(bytes.subarray(d.from % (bytes.length + 1)).subarray(0, d.length));
      if (insert.length === 0) continue;
      if (d.kind === 'copy' && d.overwrite) {
        const end = Math.min(bytes.length, at + insert.length);
        if (end <= at) continue;
        bytes = Buffer.from(bytes);
        insert.copy(bytes, at, 0, end - at);
        touch(at, end);
        continue;
      }
      bytes = Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]);
      firstDamage = Math.min(firstDamage, at);
      for (const r of records) {
        if (r.offset >= at) r.offset += insert.length;
        else if (at < r.offset + r.length) r.intact = false;
      }
    }
  }
  for (const r of records) if (r.offset + r.length > bytes.length) r.intact = false;
  return { bytes, firstDamage };
}

describe('data file scan @fuzz', () => {
  let dir: string;
  // Memory-backed when the system has it: a million cases write a million small files.
  before(() => { dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'sluice-scan-fuzz-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('@fuzz recovers every record before the damage, accounts for every byte, and returns only verified events', async () => {
    const fd = openSync(path.join(dir, 'data-1'), 'w+');
    await fuzzTarget('scan-data-file', [batches, fc.array(damage, { minLength: 0, maxLength: 3 }), fc.nat({ max: 2 ** 40 })], (raw, damages, firstSeq) => {
      const records: Placed[] = [];
      const parts: Buffer[] = [];
      let offset = 0;
      raw.forEach((events, i) => {
        const record = encodeBatch(firstSeq + i, toEvents(events));
        records.push({ seq: firstSeq + i, events: toEvents(events), offset, length: record.length, intact: true });
        parts.push(record);
        offset += record.length;
      });
      const { bytes, firstDamage } = damageFile(Buffer.concat(parts), records, damages);
      // One file rewritten per case (plain checks, not chai, in the loops: a million cases).
      ftruncateSync(fd, 0);
      if (bytes.length > 0) writeSync(fd, bytes, 0, bytes.length, 0);
      const scan = onlySluiceErrors(() => scanDataFile(fd, bytes.length));
      if (!('records' in scan)) return;
      // Every byte is a record, a reported damaged range or the reported tail, in file order.
      const pieces = [
        ...scan.records.map((r) => ({ offset: r.offset, bytes: r.length })),
        ...scan.damaged,
        ...(scan.tail > 0 ? [{ offset: bytes.length - scan.tail, bytes: scan.tail }] : []),
      ].sort((a, b) => a.offset - b.offset);
      let at = 0;
      for (const piece of pieces) {
        if (piece.offset !== at || piece.bytes <= 0) throw new Error(`pieces are not contiguous at ${at}: ${JSON.stringify(pieces)}`);
        at += piece.bytes;
      }
      if (at !== bytes.length) throw new Error(`pieces cover ${at} of ${bytes.length} bytes`);
      // What the channel reads back: verified events are exactly a committed batch's.
      const recovered = new Set<number>();
      for (const found of scan.records) {
        const decoded = onlySluiceErrors(() => decodeBatch(bytes.subarray(found.offset, found.offset + found.length), found.seq, found.count));
        if (!Array.isArray(decoded)) continue;
        const original = records.find((r) => r.seq === found.seq);
        if (!original) throw new Error(`batch ${found.seq} was never committed`);
        expect(decoded.map(plain)).to.deep.equal(original.events.map(plain));
        for (const e of decoded) if (!isHeaderMap(e.headers)) throw new Error('decoded headers inherit from a prototype');
        recovered.add(found.seq);
      }
      for (const r of records) {
        if (r.offset + r.length <= firstDamage && !recovered.has(r.seq)) throw new Error(`batch ${r.seq}, before the damage, is not recovered`);
        // After the damage too, a record whose bytes are all there is found where it is.
        if (r.intact && !scan.records.some((f) => f.offset === r.offset && f.seq === r.seq)) throw new Error(`intact batch ${r.seq} at ${r.offset} is not recovered`);
      }
    }, { regressions: REGRESSIONS }).finally(() => closeSync(fd));
  });
});
