import { expect } from 'chai';
import { HttpStatusError } from '../src/http-status-error.js';
import { jsonHandler, ndjsonHandler, PARSE_SLICE_CHARS } from '../src/request-handlers.js';

const request = (text: string, contentType = 'application/json'): Parameters<typeof jsonHandler>[0] => ({ body: Buffer.from(text), contentType, query: new URLSearchParams() });

/** Counts how many times the event loop turned while `work` ran. */
async function turnsDuring<T>(work: () => T | Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = (): void => { if (running) { turns++; setImmediate(tick); } };
  setImmediate(tick);
  const value = await work();
  running = false;
  return { value, turns };
}

describe('http handlers parse big bodies in slices', () => {
  const items = Array.from({ length: 3000 }, (_, i) => ({ headers: { seq: String(i), ['__proto__']: 'kept' }, body: `event ${i} ${'x'.repeat(200)}` }));
  const text = JSON.stringify(items);

  it('gives the same events as a whole parse and lets the event loop turn meanwhile (json)', async () => {
    expect(text.length).to.be.above(2 * PARSE_SLICE_CHARS);
    const { value: events, turns } = await turnsDuring(() => jsonHandler(request(text)));
    expect(turns, 'the event loop ran between slices').to.be.at.least(2);
    expect(events.map((e) => e.body.toString())).to.deep.equal(items.map((i) => i.body));
    expect(events[7]!.headers.seq).to.equal('7');
    expect(Object.hasOwn(events[7]!.headers, '__proto__')).to.equal(true);
  });

  it('gives the same events as line by line and lets the event loop turn meanwhile (ndjson)', async () => {
    const lines = items.map((i) => JSON.stringify(i)).join('\n\n');
    const { value: events, turns } = await turnsDuring(() => ndjsonHandler(request(lines, 'application/x-ndjson')));
    expect(turns).to.be.at.least(2);
    expect(events.map((e) => e.body.toString())).to.deep.equal(items.map((i) => i.body));
  });

  it('refuses a big body that is not a JSON array of events with 400, naming the place', async () => {
    const broken = `${text.slice(0, -1)},{"body":}]`;
    const answers: string[] = [];
    for (const body of [broken, `{"not":"an array","pad":"${'x'.repeat(PARSE_SLICE_CHARS)}"}`, `${text.slice(0, -1)},42]`]) {
      try {
        await jsonHandler(request(body));
        answers.push('accepted');
      } catch (error) {
        expect(error).to.be.instanceOf(HttpStatusError);
        answers.push(`${(error as HttpStatusError).status} ${(error as Error).message}`);
      }
    }
    expect(answers[0]).to.match(/^400 event 3000 is not valid JSON/);
    expect(answers[1]).to.match(/^400 the request body must be a JSON array/);
    expect(answers[2]).to.match(/^400 event 3000 must be an object/);
  });
});
