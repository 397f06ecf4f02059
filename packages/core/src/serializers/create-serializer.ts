import { AvroEventSerializer } from './avro-event-serializer.js';
import type { EventSerializer } from './event-serializer.js';
import { GzipSerializer } from './gzip-serializer.js';
import { HeaderAndTextSerializer } from './header-and-text-serializer.js';
import { JsonSerializer } from './json-serializer.js';
import { TextSerializer } from './text-serializer.js';

/** Serializer names every file-writing sink accepts. */
export const SERIALIZER_NAMES = ['text', 'header_and_text', 'json', 'avro_event'] as const;
export type SerializerName = (typeof SERIALIZER_NAMES)[number];

/** Compression codecs every file-writing sink accepts. */
export const COMPRESSION_NAMES = ['none', 'gzip'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

/**
 * Creates a serializer by its topology name, optionally gzip-compressed. Serializers may keep
 * per-file state (avro_event's sync marker), so a sink that keeps several files open creates
 * one serializer per open file.
 */
export function createSerializer(name: SerializerName, compression: CompressionName = 'none'): EventSerializer {
  const inner = createPlain(name);
  return compression === 'gzip' ? new GzipSerializer(inner) : inner;
}

function createPlain(name: SerializerName): EventSerializer {
  switch (name) {
    case 'text': return new TextSerializer();
    case 'header_and_text': return new HeaderAndTextSerializer();
    case 'json': return new JsonSerializer();
    case 'avro_event': return new AvroEventSerializer();
  }
}
