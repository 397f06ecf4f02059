import kafkajs, { CompressionTypes } from 'kafkajs';
import { SluiceError } from '@sluice/core';

/** Record batch compression of the kafka sink. */
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** The optional npm codec packages kafkajs needs for compressions it does not ship. */
export const CODEC_PACKAGES = { snappy: 'kafkajs-snappy', lz4: 'kafkajs-lz4', zstd: '@kafkajs/zstd' } as const;
const TYPES = { snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD } as const;

interface Codec { compress: unknown; decompress: unknown }
type CodecFactory = () => Codec;

/** Normalises the shapes codec packages export (a factory, a class with `.codec`, a codec object) into a factory. */
function toFactory(exported: unknown): CodecFactory | undefined {
  if (exported === null || exported === undefined) return undefined;
  if (typeof (exported as Codec).compress === 'function') return () => exported as Codec;
  if (typeof exported !== 'function') return undefined;
  try {
    const made = (exported as () => unknown)();
    if (typeof (made as Codec | undefined)?.compress === 'function') return exported as CodecFactory;
  } catch {
    // a class: fall through to `new`
  }
  try {
    const instance = new (exported as new () => { codec?: unknown })();
    return toFactory(instance.codec ?? instance);
  } catch {
    return undefined;
  }
}

/** True when a registered codec factory works (kafkajs pre-registers ones that throw "not implemented"). */
function usable(factory: CodecFactory | undefined): boolean {
  try {
    return typeof factory?.().compress === 'function';
  } catch {
    return false;
  }
}

/**
 * Makes kafkajs able to write `compression`: gzip and none are built in; the others are looked up
 * in the codec registry (an embedding application may have registered one) or imported from their
 * npm package. Throws SLUICE_COMPONENT_START naming the package to install when it is missing.
 */
export async function loadCompressionCodec(compression: Compression, component: string): Promise<void> {
  if (compression === 'none' || compression === 'gzip') return;
  const registry = kafkajs.CompressionCodecs as unknown as Record<number, CodecFactory | undefined>;
  const type = TYPES[compression];
  if (usable(registry[type])) return;
  const name = CODEC_PACKAGES[compression];
  let module: Record<string, unknown>;
  try {
    module = (await import(name)) as Record<string, unknown>;
  } catch (error) {
    throw new SluiceError('SLUICE_COMPONENT_START', `Kafka sink '${component}': compression '${compression}' needs the npm package ${name}; install it next to the agent (npm install ${name}) or use gzip`, { cause: error });
  }
  const factory = toFactory(module.default) ?? toFactory(module[compression.toUpperCase()]) ?? toFactory(module);
  if (!factory) {
    throw new SluiceError('SLUICE_COMPONENT_START', `Kafka sink '${component}': the package ${name} does not export a kafkajs compression codec; check its version`);
  }
  registry[type] = factory;
}
