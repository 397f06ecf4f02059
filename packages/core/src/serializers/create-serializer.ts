import type { EventSerializer } from './event-serializer.js';
import { HeaderAndTextSerializer } from './header-and-text-serializer.js';
import { TextSerializer } from './text-serializer.js';

/** Serializer names every file-writing sink accepts. */
export const SERIALIZER_NAMES = ['text', 'header_and_text'] as const;
export type SerializerName = (typeof SERIALIZER_NAMES)[number];

/** Creates a serializer by its topology name. */
export function createSerializer(name: SerializerName): EventSerializer {
  switch (name) {
    case 'text': return new TextSerializer();
    case 'header_and_text': return new HeaderAndTextSerializer();
  }
}
