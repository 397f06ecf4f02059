/** The states of a transaction. */
export type TransactionState = 'open' | 'committing' | 'committed' | 'failed' | 'rollingBack' | 'rolledBack';
/** The calls a transaction accepts. */
export type TransactionCall = 'put' | 'take' | 'commit' | 'rollback';

/**
 * The one transition table every transaction follows: which call is allowed in which state, and
 * the state the call moves to. `commit` ends in `committed` or, on failure, `failed`, where only
 * `rollback` is allowed. A missing entry means the call throws SLUICE_TX_STATE.
 */
export const TRANSACTION_TRANSITIONS: Readonly<Record<TransactionState, Partial<Record<TransactionCall, TransactionState>>>> = {
  open: { put: 'open', take: 'open', commit: 'committing', rollback: 'rollingBack' },
  committing: {},
  committed: {},
  failed: { rollback: 'rollingBack' },
  rollingBack: {},
  rolledBack: {},
};
