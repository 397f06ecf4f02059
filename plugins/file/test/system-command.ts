import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The path of a system command such as logrotate or rsyslogd, which Debian installs in /usr/sbin:
 * a user whose PATH lacks the sbin directories still finds it.
 */
export function systemCommand(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  for (const dir of ['/usr/sbin', '/sbin', '/usr/local/sbin']) {
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return name;
}
