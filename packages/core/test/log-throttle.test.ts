import { expect } from 'chai';
import { LogThrottle, type Logger } from '../src/index.js';

function recorder(): { logger: Logger; lines: { level: string; fields: Record<string, unknown>; msg?: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (fields: object | string, msg?: string) => { lines.push({ level, fields: fields as Record<string, unknown>, msg }); };
  const logger: Logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: () => logger };
  return { logger, lines };
}

describe('LogThrottle', () => {
  it('logs the first occurrence, counts repeats within the interval, and reports the count with the next line', () => {
    let now = 0;
    const { logger, lines } = recorder();
    const throttle = new LogThrottle(logger, 'warn', 'bad frame', 1000, () => now);
    for (let i = 0; i < 5000; i++) {
      throttle.log({ peer: `10.0.0.${i % 7}` });
      now += 1;
    }
    // 5000 occurrences over 5 s: one line per second, each carrying what it swallowed.
    expect(lines).to.have.length(5);
    expect(lines[0]).to.deep.equal({ level: 'warn', fields: { peer: '10.0.0.0' }, msg: 'bad frame' });
    expect(lines.slice(1).map((l) => l.fields.suppressed)).to.deep.equal([999, 999, 999, 999]);
    throttle.flush();
    expect(lines).to.have.length(6);
    expect(lines[5]!.fields.suppressed).to.equal(999);
    throttle.flush();
    expect(lines).to.have.length(6);
  });
});
