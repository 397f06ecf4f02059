import type { FlumeTranslation } from '../define.js';
import type { SerializerName } from './create-serializer.js';

/** Flume's serializer aliases (case-insensitive) and builder class names, by the Sluice serializer that writes the same bytes. */
const FLUME_SERIALIZERS: Readonly<Record<string, SerializerName>> = {
  text: 'text', 'org.apache.flume.serialization.bodytexteventserializer$builder': 'text',
  header_and_text: 'header_and_text', 'org.apache.flume.serialization.headerandbodytexteventserializer$builder': 'header_and_text',
  avro_event: 'avro_event', 'org.apache.flume.serialization.flumeeventavroeventserializer$builder': 'avro_event',
};

/**
 * Translates a Flume `serializer` value (an alias such as `TEXT`, or a builder class name) for a
 * component's `fromFlume`. A serializer Sluice has no equivalent for (a custom class, or
 * `org.apache.flume.sink.hdfs.AvroEventSerializer$Builder`, which writes records of a schema taken
 * from a header) is refused through `flume` at `key`, and `undefined` is returned.
 */
export function flumeSerializerName(value: string, key = 'serializer', flume?: FlumeTranslation): SerializerName | undefined {
  const found = FLUME_SERIALIZERS[value.trim().toLowerCase()];
  if (found === undefined) {
    flume?.refuse(key, `${value.trim()} is a Java serializer Sluice cannot load${/avroeventserializer\$builder$/i.test(value.trim()) && !/flumeevent/i.test(value) ? ' (it writes Avro records of a schema named in a header; Sluice\'s avro_event writes whole Flume events)' : ''}`, 'use TEXT, HEADER_AND_TEXT or AVRO_EVENT (Sluice also has json)');
  }
  return found;
}
