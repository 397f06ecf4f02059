import avro from 'avsc';
import type { SluiceEvent } from '../event.js';

/** The Avro schema of Flume's `AvroFlumeEvent` (flume.avdl), as JSON. */
export const AVRO_FLUME_EVENT_SCHEMA = {
  type: 'record',
  name: 'AvroFlumeEvent',
  namespace: 'org.apache.flume.source.avro',
  fields: [
    { name: 'headers', type: { type: 'map', values: 'string' } },
    { name: 'body', type: 'bytes' },
  ],
} as const;

/** The avsc type for AvroFlumeEvent; shared by the Kafka channel, the Avro RPC plugin and avro_event files. */
export const avroFlumeEventType = avro.Type.forSchema(AVRO_FLUME_EVENT_SCHEMA as unknown as avro.Schema);

/** Encodes one event as an Avro binary AvroFlumeEvent datum (no container, no framing). */
export function encodeAvroFlumeEvent(event: SluiceEvent): Buffer {
  return avroFlumeEventType.toBuffer({ headers: event.headers, body: event.body });
}

/** Decodes one Avro binary AvroFlumeEvent datum. Throws on malformed input. */
export function decodeAvroFlumeEvent(datum: Buffer): SluiceEvent {
  const value = avroFlumeEventType.fromBuffer(datum) as { headers: Record<string, string>; body: Buffer };
  return { headers: value.headers, body: value.body };
}
