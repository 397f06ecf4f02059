import { spawnSync } from 'node:child_process';
import { findCommand } from './find-command.js';
import { forgetDetection, markPeerBroken, peerAvailable } from './peer-status.js';
import { TEST_PEERS, type TestPeerName } from './test-peers.js';

/** Installing needs root and apt-get; SLUICE_INSTALL_PEERS=0 turns it off (the suites then skip). */
export function canInstallPeers(): boolean {
  return process.getuid?.() === 0 && findCommand('apt-get') !== undefined && process.env.SLUICE_INSTALL_PEERS !== '0';
}

/** Runs a command with its output captured; throws with the output's tail when it fails. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
}

/**
 * Makes the peers usable, as far as this process may: when it can install (root with apt), the
 * missing peers' Debian packages in one apt-get (waiting for another apt's lock), then their custom
 * install commands; then every present peer's build step. A failure is printed, not thrown: the
 * suites needing that peer skip (or fail under CI). Called once per test run, before any suite.
 */
export async function preparePeers(log: (line: string) => void = console.log): Promise<void> {
  const names = Object.keys(TEST_PEERS) as TestPeerName[];
  const missing = names.filter((name) => !peerAvailable(name));
  if (missing.length > 0 && canInstallPeers()) {
    const packages = [...new Set(missing.flatMap((n) => ('install' in TEST_PEERS[n] ? [] : TEST_PEERS[n].debian)))];
    const started = Date.now();
    log(`Installing test peers ${missing.join(', ')} (apt-get install ${packages.join(' ')})...`);
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      if (packages.length > 0) {
        run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-qq'], env);
        run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', '--no-install-recommends', ...packages], env);
      }
      for (const name of missing) {
        const install = (TEST_PEERS[name] as { install?: string }).install;
        if (install) run('sh', ['-c', install], env);
      }
      log(`Installed test peers in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    } catch (error) {
      log(`Could not install test peers: ${(error as Error).message}`);
    }
    forgetDetection();
  }
  for (const name of names) {
    const prepare = (TEST_PEERS[name] as { prepare?: () => Promise<void> }).prepare;
    if (!prepare || !peerAvailable(name)) continue;
    try {
      await prepare();
    } catch (error) {
      markPeerBroken(name, (error as Error).message.split('\n')[0]!);
    }
  }
}
