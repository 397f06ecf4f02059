import { randomBytes } from 'node:crypto';
import avro from 'avsc';
import { AVRO_FLUME_EVENT_SCHEMA, avroFlumeEventType } from '../avro/avro-flume-event.js';
import type { SluiceEvent } from '../event.js';
import type { EventSerializer } from './event-serializer.js';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // 'Obj' 1
const metadataType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const longType = avro.Type.forSchema('long');

/**
 * Flume's `avro_event` serializer: an Avro object container file whose records are
 * AvroFlumeEvent (`headers` map, `body` bytes), readable by any Avro reader (avro-tools,
 * Spark, avsc's createFileDecoder). `header()` writes the file header, and each `serialize`
 * call writes one uncompressed data block, so an open file is valid after every batch (appends
 * need no footer).
 *
 * The random sync marker is fixed per instance, so blocks serialized before `header()` is called
 * for the next file (file_roll serializes, then rolls) still match it.
 */
export class AvroEventSerializer implements EventSerializer {
  readonly extension = 'avro';
  private readonly sync: Buffer = randomBytes(16);

  header(): Buffer {
    const meta = metadataType.toBuffer({
      'avro.schema': Buffer.from(JSON.stringify(AVRO_FLUME_EVENT_SCHEMA)),
      'avro.codec': Buffer.from('null'),
    });
    return Buffer.concat([MAGIC, meta, this.sync]);
  }

  serialize(events: readonly SluiceEvent[]): Buffer {
    const records: Buffer[] = new Array(events.length);
    let size = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const record = avroFlumeEventType.toBuffer({ headers: event.headers, body: event.body });
      records[i] = record;
      size += record.length;
    }
    return Buffer.concat([longType.toBuffer(events.length), longType.toBuffer(size), ...records, this.sync]);
  }
}
