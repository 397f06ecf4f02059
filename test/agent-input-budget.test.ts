import { expect } from 'chai';
import { parseTopology } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';

async function load(yaml: string): Promise<Awaited<ReturnType<typeof loadTopology>>> {
  return loadTopology(parseTopology(yaml));
}

describe('agent-wide input budget (maxPendingBytes)', () => {
  it('refuses with 503 a request the agent budget cannot hold, though the source\'s own limit could, and serves the next one', async () => {
    const { model, catalog } = await load(`
agents:
  a:
    maxPendingBytes: 4KiB
    sources:
      in: { type: http, port: 0, maxPendingBytes: '0', channels: [mem] }
    channels:
      mem: { type: memory }
    sinks:
      out: { type: 'null', channel: mem }
`);
    expect(model.agents.a!.maxPendingBytes).to.equal(4096);
    const agent = new Agent(model.agents.a!, catalog);
    await agent.start();
    try {
      const port = (agent.sources.get('in')!.source as unknown as { port: number }).port;
      const post = (body: string): Promise<Response> => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const big = await post(JSON.stringify([{ body: 'x'.repeat(8000) }]));
      expect(big.status).to.equal(503);
      expect(await big.text()).to.match(/agent's maxPendingBytes/);
      const small = await post(JSON.stringify([{ body: 'fits' }]));
      expect(small.status).to.equal(200);
      expect(agent.inputBudget.used, 'every byte is given back once answered').to.equal(0);
    } finally {
      await agent.stop(1000);
    }
  });

  it('defaults to 96 MiB and reports a size it cannot read as a problem with a path', async () => {
    const ok = await load('agents:\n  a:\n    sources: { in: { type: seq, channels: [c] } }\n    channels: { c: { type: memory } }\n    sinks: { k: { type: "null", channel: c } }\n');
    expect(ok.model.agents.a!.maxPendingBytes).to.equal(96 * 1024 * 1024);
    let problems: { path: string }[] = [];
    try {
      await load('agents:\n  a:\n    maxPendingBytes: lots\n    sources: { in: { type: seq, channels: [c] } }\n    channels: { c: { type: memory } }\n    sinks: { k: { type: "null", channel: c } }\n');
    } catch (error) {
      problems = (error as { problems: { path: string }[] }).problems;
    }
    expect(problems.map((p) => p.path)).to.include('/agents/a/maxPendingBytes');
  });
});
