import { spawnSync } from 'node:child_process';
import { findCommand } from './find-command.js';

/**
 * A program the tests use as a real peer (a client, server or tool we did not write), with how to
 * tell whether this machine has it and how to get it. Entries live in {@link TEST_PEERS}; tests ask
 * for them with `requirePeers`.
 */
export interface TestPeer {
  /** What the tests use it for, shown in the skip summary. */
  readonly description: string;
  /** True when the peer is usable here. Called at most once per process per peer; keep it cheap. */
  readonly detect: () => boolean;
  /** The Debian packages that provide it, installed with one `apt-get install` by the test run. */
  readonly debian: readonly string[];
  /**
   * A shell command that installs the peer when Debian packages alone do not (an unpacked .deb, a
   * download from the npm registry). Runs as root after the apt packages, from the repository root.
   */
  readonly install?: string;
  /** Builds what the tests need once the packages are present (the Kafka mock helper). Idempotent. */
  readonly prepare?: () => Promise<void>;
}

/**
 * A peer that is one executable from Debian packages. `probe`, when given, runs the command with
 * those arguments and requires its combined output to match (to tell netcat-openbsd from other nc).
 */
export function commandPeer(command: string, debian: readonly string[], description: string, probe?: { args: readonly string[]; output: RegExp }): TestPeer {
  return {
    description,
    debian,
    detect() {
      const file = findCommand(command);
      if (file === undefined) return false;
      if (!probe) return true;
      const result = spawnSync(file, probe.args, { encoding: 'utf8', timeout: 5000 });
      return probe.output.test(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    },
  };
}
