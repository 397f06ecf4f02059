/**
 * Every error Sluice raises on purpose carries a stable `code` from this registry.
 * Codes never change meaning; messages are for people and may be reworded.
 * `retriable` tells runners whether trying the same work again can succeed.
 * docs/errors.md is generated from {@link ERROR_CODES}; a test keeps them in sync.
 */
export const ERROR_CODES = {
  SLUICE_CHANNEL_FULL: { retriable: true, description: 'The channel has no room for the events of a commit (capacity or byteCapacity reached, or the disk floor hit). Slow down or add sink capacity; sources turn this into backpressure.' },
  SLUICE_CHANNEL_CLOSED: { retriable: true, description: 'A transaction was requested from a channel that is not running (not started yet, or stopping).' },
  SLUICE_CHANNEL_UNAVAILABLE: { retriable: true, description: 'The store behind a channel could not be reached or did not acknowledge a commit in time (for example the Kafka cluster is down). Retry later: the events may already have been stored, so a retry can duplicate them but never loses them. Sources turn it into backpressure like SLUICE_CHANNEL_FULL.' },
  SLUICE_TX_CAPACITY: { retriable: false, description: 'One transaction put or took more events than the channel\'s transactionCapacity. Lower the batchSize of the source or sink, or raise transactionCapacity.' },
  SLUICE_TX_STATE: { retriable: false, description: 'A transaction method was called in a state that does not allow it (for example commit() after rollback()). A programming error in a component.' },
  SLUICE_CONFIG_INVALID: { retriable: false, description: 'The topology file has problems; the error lists every one with its path and a hint.' },
  SLUICE_CONFIG_PARSE: { retriable: false, description: 'The topology file could not be read or parsed (YAML/JSON syntax, unreadable file).' },
  SLUICE_PLUGIN_LOAD: { retriable: false, description: 'A plugin named in the topology could not be found or imported, or its default export is not a plugin.' },
  SLUICE_PLUGIN_INCOMPATIBLE: { retriable: false, description: 'A plugin declares a @sluice/core version range that this core does not satisfy.' },
  SLUICE_PLUGIN_CONFLICT: { retriable: false, description: 'Two plugins provide the same component kind and type; name one explicitly as package#type.' },
  SLUICE_UNKNOWN_TYPE: { retriable: false, description: 'No built-in or loaded plugin provides the component type named in the topology.' },
  SLUICE_COMPONENT_START: { retriable: false, description: 'A component failed to start (port in use, unreadable directory, ...); the agent stops what it started and exits.' },
  SLUICE_DELIVERY_FAILED: { retriable: true, description: 'A sink could not deliver a batch to its destination (connection refused, timeout, 5xx). The batch was rolled back and will be retried.' },
  SLUICE_EVENT_REJECTED: { retriable: false, description: 'The destination refused a batch for a reason retrying cannot fix (for example HTTP 400). With a dead-letter channel configured the events go there.' },
  SLUICE_DATA_CORRUPT: { retriable: false, description: 'Stored data failed its checksum or could not be decoded. Corrupt records are skipped and counted; intact ones are kept.' },
  SLUICE_LOCKED: { retriable: false, description: 'Another process holds the lock on a data directory (for example a second agent using the same file channel dataDir).' },
  SLUICE_TIMEOUT: { retriable: true, description: 'An operation did not finish within its configured timeout.' },
  SLUICE_PROTOCOL: { retriable: false, description: 'A peer sent bytes that do not follow the protocol (bad frame, oversized frame, bad handshake).' },
  SLUICE_FILE_CHANGED: { retriable: false, description: 'A file in a spooling directory changed (grew, shrank or was rewritten) while the spooldir source was reading it. Spooled files must be complete and never written again: move them in with a rename. The file is set aside with the .FAILED suffix; the lines read before the change were delivered.' },
} as const satisfies Record<string, { retriable: boolean; description: string }>;

/** A stable Sluice error code, e.g. `SLUICE_CHANNEL_FULL`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options for {@link SluiceError}. */
export interface SluiceErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** Overrides the registry's default retriability for this instance. */
  retriable?: boolean;
  /** Structured details (component name, path, ...) for logs and programmatic handling. */
  details?: Record<string, unknown>;
}

/**
 * The root of every error Sluice raises on purpose. Callers branch on `code` and `retriable`,
 * never on `message`.
 */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details;
  }
}

/**
 * Raised when a transaction method is called in a state that forbids it. It is a programming error,
 * so it extends TypeError, but it carries the stable code `SLUICE_TX_STATE` so tests can assert it.
 */
export class TransactionStateError extends TypeError {
  readonly code = 'SLUICE_TX_STATE' as const;
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'TransactionStateError';
  }
}

/** True when retrying the failed operation may succeed; unknown errors count as retriable I/O failures. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof SluiceError || error instanceof TransactionStateError) return error.retriable;
  return true;
}

/** The stable code of an error, or undefined for errors Sluice did not raise. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
