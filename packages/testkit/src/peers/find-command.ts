import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Where Debian puts administrator commands (rsyslogd, logrotate): not on every user's PATH. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * The absolute path of an executable found on PATH or, failing that, in the sbin directories;
 * undefined when there is none. Test peers and the tests that spawn them use it so that a user
 * whose PATH lacks /usr/sbin still finds rsyslogd.
 */
export function findCommand(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  return undefined;
}
