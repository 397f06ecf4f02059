import { readFileSync } from 'node:fs';

/**
 * The kernel's drop count for the UDP socket bound to `port` (the `drops` column of
 * /proc/net/udp or /proc/net/udp6: datagrams the kernel discarded because the socket's receive
 * buffer was full). Called by UDP sources (through UdpEventServer) about once a second; undefined where Linux
 * does not expose it (another OS, no /proc) or when no socket is bound to that port.
 */
export function readUdpSocketDrops(port: number, family: 'udp4' | 'udp6'): number | undefined {
  let table: string;
  try {
    table = readFileSync(family === 'udp6' ? '/proc/net/udp6' : '/proc/net/udp', 'latin1');
  } catch {
    return undefined;
  }
  const wanted = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (columns.length < 13 || !columns[1]!.endsWith(wanted)) continue;
    const drops = Number(columns[12]);
    if (Number.isFinite(drops)) return drops;
  }
  return undefined;
}
