import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

describe("Flume's JDBC channel in a .properties file", function () {
  this.timeout(30000);
  const dir = new TempDir();
  after(() => dir.cleanup());

  it('runs as the durable file channel, with a warning for the type and for each Derby key', () => {
    const file = dir.write('jdbc.properties', [
      'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1',
      'a1.sources.r1.type = seq', 'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = org.apache.flume.channel.jdbc.JdbcChannel', 'a1.channels.c1.db.type = DERBY', 'a1.channels.c1.sysprop.user.home = /var/lib/flume-jdbc',
      'a1.sinks.k1.type = logger', 'a1.sinks.k1.channel = c1',
    ].join('\n'));
    const result = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', file], { encoding: 'utf8' });
    expect(result.status, result.stderr + result.stdout).to.equal(0);
    expect(result.stdout).to.contain("Flume's JDBC channel (embedded Derby) runs as Sluice's durable file channel");
    expect(result.stdout).to.contain('a1.channels.c1.db.type');
    const strict = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', file, '--strict'], { encoding: 'utf8' });
    expect(strict.status, 'warnings are errors under --strict').to.equal(1);
  });
});
