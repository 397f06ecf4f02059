import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

/** An agent with an s3 sink; it starts without reaching S3 (nothing is sent until a batch rolls). */
const TOPOLOGY = `
agents:
  a:
    dataDir: ./data
    sources: { s: { type: seq, channels: [m] } }
    channels: { m: { type: memory } }
    sinks: { k: { type: s3, channel: m, bucket: logs-bucket, key: "logs/", endpoint: "http://127.0.0.1:9", region: us-east-1, forcePathStyle: true, accessKeyId: x, secretAccessKey: y } }
`;

describe('sluice agent with an s3 sink and the AWS SDK Node version notice', function () {
  this.timeout(30000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  afterEach(async () => { await agent?.kill(); agent = undefined; });
  after(() => dir.cleanup());

  /** Starts the agent with a warning of our own emitted at start-up; returns its stderr once started. */
  async function startedStderr(env: NodeJS.ProcessEnv): Promise<string> {
    const file = dir.write('s3.yaml', TOPOLOGY);
    const other = dir.write('other-warning.cjs', "process.emitWarning('a warning that must stay visible', 'SluiceTestWarning');\n");
    agent = AgentProcess.start(file, 'a', { env: { NODE_OPTIONS: `--require ${other}`, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined, ...env } });
    await agent.started();
    // Node prints a warning some time after the SDK emits it (after the client is built at start):
    // give it up to 3 s to show before stopping, so its absence means it was not emitted.
    for (let i = 0; i < 30 && !agent.stderr.includes('NodeVersionSupportWarning'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    await agent.stop();
    return agent.stderr;
  }

  it('prints no NodeVersionSupportWarning at start, and other warnings still show', async () => {
    const stderr = await startedStderr({});
    expect(stderr).to.not.include('NodeVersionSupportWarning');
    expect(stderr).to.include('SluiceTestWarning: a warning that must stay visible');
  });

  it('leaves the notice on when the user set the SDK switch to false (it shows on Node < 22)', async function () {
    if (Number(process.versions.node.split('.')[0]) >= 22) this.skip();
    const stderr = await startedStderr({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' });
    expect(stderr).to.include('NodeVersionSupportWarning');
  });
});
