import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import { createEvent, createSerializer, type SluiceEvent } from '../src/index.js';

const events = (from: number, n: number): SluiceEvent[] =>
  Array.from({ length: n }, (_, i) => createEvent(`line ${from + i}`, { seq: String(from + i), host: 'h"1' }));

describe('serializers', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ser-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fileOf(name: Parameters<typeof createSerializer>[0], compression: Parameters<typeof createSerializer>[1], batches: SluiceEvent[][]): string {
    const s = createSerializer(name, compression);
    const parts = [s.header?.() ?? Buffer.alloc(0), ...batches.map((b) => s.serialize(b)), s.footer?.() ?? Buffer.alloc(0)];
    const file = path.join(dir, `out.${s.extension}`);
    writeFileSync(file, Buffer.concat(parts));
    return file;
  }

  it('json writes one object per line with headers and body', () => {
    const s = createSerializer('json');
    const lines = s.serialize(events(0, 2)).toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).to.deep.equal([
      { headers: { seq: '0', host: 'h"1' }, body: 'line 0' },
      { headers: { seq: '1', host: 'h"1' }, body: 'line 1' },
    ]);
  });

  it('json writes a body that is not UTF-8 as base64 with bodyEncoding, so binary bodies survive byte for byte', () => {
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3]);
    const lines = createSerializer('json').serialize([createEvent(binary, { k: 'v' }), createEvent('héllo ✓', {})]).toString().trim().split('\n').map((l) => JSON.parse(l) as { body: string; bodyEncoding?: string });
    expect(lines[0]).to.deep.equal({ headers: { k: 'v' }, body: binary.toString('base64'), bodyEncoding: 'base64' });
    expect(Buffer.from(lines[0]!.body, 'base64').equals(binary)).to.equal(true);
    expect(lines[1]).to.deep.equal({ headers: {}, body: 'héllo ✓' });
  });

  it('avro_event files are read back by avsc createFileDecoder, across several blocks', async () => {
    const file = fileOf('avro_event', 'none', [events(0, 3), events(3, 4)]);
    const records: { headers: Record<string, string>; body: Buffer }[] = [];
    await new Promise<void>((resolve, reject) => {
      avro.createFileDecoder(file).on('data', (r: { headers: Record<string, string>; body: Buffer }) => records.push(r)).on('end', resolve).on('error', reject);
    });
    expect(records.map((r) => r.body.toString())).to.deep.equal(events(0, 7).map((e) => e.body.toString()));
    expect(records[6]!.headers).to.deep.equal({ seq: '6', host: 'h"1' });
  });

  it('gzip files (one member per batch) are read whole by zcat', () => {
    const file = fileOf('text', 'gzip', [events(0, 2), events(2, 2)]);
    expect(file.endsWith('.log.gz')).to.equal(true);
    expect(execFileSync('zcat', [file]).toString()).to.equal('line 0\nline 1\nline 2\nline 3\n');
  });

  it('gzip-compressed avro_event decompresses with zcat into a valid container', async () => {
    const file = fileOf('avro_event', 'gzip', [events(0, 2)]);
    const plain = path.join(dir, 'plain.avro');
    writeFileSync(plain, execFileSync('zcat', [file]));
    const bodies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      avro.createFileDecoder(plain).on('data', (r: { body: Buffer }) => bodies.push(r.body.toString())).on('end', resolve).on('error', reject);
    });
    expect(bodies).to.deep.equal(['line 0', 'line 1']);
  });
});
