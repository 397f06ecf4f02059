import type { Problem } from './problem.js';
import type { YamlScalarNote } from './yaml-scalars.js';

/**
 * A topology as read from a file, before validation: plain data in the YAML shape. Flume
 * .properties files are translated into this shape; `flume` then remembers, per component
 * pointer, the original keys so component-specific translations and error messages can use them.
 */
export interface RawTopology {
  data: unknown;
  file?: string;
  format: 'yaml' | 'properties';
  /** Problems found while reading (unset variables, Flume list mistakes), reported with the rest by validation. */
  problems?: Problem[];
  /** Component pointer -> the component's Flume properties (prefix stripped) and key prefix. */
  flume?: Map<string, FlumeComponentProperties>;
  /** YAML only: scalars whose reading may surprise (`type: null`, `port: "5140"`), by JSON pointer, to explain problems there. */
  yamlScalars?: Map<string, YamlScalarNote>;
}

/** The Flume keys of one component, with the prefix that makes them full keys again. */
export interface FlumeComponentProperties {
  prefix: string;
  properties: Record<string, string>;
  /** The component's `type` as written in the file (`com.acme.flume.MySource`), for messages. */
  flumeType?: string;
}
