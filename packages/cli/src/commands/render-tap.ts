/** One line of the monitoring server's `GET /tap` stream (see TapSubscription in @sluice/agent). */
export type TapLine =
  | { type: 'tap'; agent: string; taps: { component: string; point: string }[]; rate: number; limit: number }
  | { type: 'event'; time: string; component: string; point: 'source' | 'interceptors' | 'sink'; headers: Record<string, string>; body: string; bodyEncoding?: 'base64'; truncated?: boolean; bodyBytes?: number }
  | { type: 'skipped'; time: string; count: number; reason: string };

const POINT_LABEL = { source: 'out of source', interceptors: 'out of interceptors of', sink: 'into sink' } as const;

/**
 * One readable line per tap line: `TIME out of source NAME {k=v, ...} body`. A body with line
 * breaks or other control characters is printed JSON-quoted so one event stays one line; a binary
 * body is printed as `base64:...`.
 */
export function renderTapLine(line: TapLine): string {
  switch (line.type) {
    case 'tap':
      return `sluice tap: agent '${line.agent}', ${line.taps.map((t) => `${t.component} (${t.point})`).join(', ')}; at most ${line.rate} events/s${line.limit > 0 ? `, ${line.limit} events` : ''}; Ctrl-C to stop`;
    case 'skipped':
      return `sluice tap: ${line.count} event${line.count === 1 ? '' : 's'} not shown (${line.reason})`;
    case 'event': {
      const headers = Object.entries(line.headers).map(([k, v]) => `${k}=${v}`).join(', ');
      const body = line.bodyEncoding === 'base64' ? `base64:${line.body}` : /[\u0000-\u001f\u007f]/.test(line.body) ? JSON.stringify(line.body) : line.body;
      const cut = line.truncated ? ` ... (${line.bodyBytes} bytes)` : '';
      return `${line.time} ${POINT_LABEL[line.point]} ${line.component} {${headers}} ${body}${cut}`;
    }
  }
}
