import { expect } from 'chai';
import { runSoak } from './soak/soak-run.js';

describe('soak: two real agents for 2 minutes, collector SIGKILLed every 40 s, edge reloaded every 20 s @slow', function () {
  this.timeout(360_000);

  it('loses no acknowledged event, keeps the edge agent up, and its RSS does not keep growing', async () => {
    // A third of the 30-minute soak's rates (about 1,000 events/s in all) to spare the shared machine.
    const report = await runSoak({ durationMs: 120_000, rateScale: 0.33, killEveryMs: 40_000, reloadEveryMs: 20_000, warmupMs: 40_000 });
    console.log(`      soak 2 min: ${JSON.stringify(report)}`);
    expect(report.edgeStayedUp, 'edge agent stayed up').to.equal(true);
    expect(report.edgeExitCode, 'edge agent drained and exited 0').to.equal(0);
    expect(report.collectorKills).to.be.at.least(2);
    expect(report.reloadsApplied).to.be.at.least(report.reloads - 1).and.at.least(4);
    for (const [type, figures] of Object.entries(report.events)) {
      if (type === 'syslog_udp') continue;
      expect(figures.acked, `${type} acknowledged something`).to.be.greaterThan(0);
      expect(figures.missing, `${type} acknowledged events missing at the collector`).to.equal(0);
    }
    expect(report.lostAcknowledged).to.equal(0);
    // Generous: a leak of a few KB per event at ~1,000 events/s would be tens of MB per minute.
    expect(report.rssSlopeMbPerMin, 'RSS slope after warm-up (MB/min)').to.be.below(15);
  });
});
