import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { SluiceEvent } from '@sluice/core';
import { collectEvents, createHarness, type SuiteHarness } from '@sluice/testkit';
import { syslogTcpSource, syslogUdpSource, type SyslogTcpSource, type SyslogUdpSource } from '@sluice/plugin-syslog';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

/**
 * Real logs from public collections (test/fixtures/real-logs, sources in its README) through
 * syslog_tcp, syslog_udp and taildir + log_to_json. Every field is checked against values this
 * file computes with its own small parsers, written from the specs (Flume's SyslogUtils patterns
 * and year rule, the Kinesis agent's LOGTOJSON patterns), not with Sluice's parsing code.
 */
const FIXTURES = path.resolve(fileURLToPath(new URL('../../test/fixtures/real-logs', import.meta.url)));
const lines = (name: string): string[] => readFileSync(path.join(FIXTURES, name), 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');

// ---- reference syslog parser (Flume SyslogUtils' two patterns, matched on the whole line) ----
const RFC5424 = /^<(\d{1,3})>(\d?)\s?(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:\d{2}|Z)?)|-)\s(?:([A-Za-z0-9_][A-Za-z0-9_.@-]*)|-)\s(.*)$/;
const RFC3164 = /^<(\d{1,3})>(\d)?\s?([A-Z][a-z][a-z]\s{1,2}\d{1,2}\s\d{2}:\d{2}:\d{2})\s([A-Za-z0-9_][A-Za-z0-9_.@-]*)\s(.*)$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A year-less stamp as the agent-local time within [now - 11 months, now + 1 month] (Flume's window). */
function bsdStamp(stamp: string, now: number): number {
  const [mon, day, time] = stamp.split(/\s+/) as [string, string, string];
  const [h, m, s] = time.split(':').map(Number) as [number, number, number];
  const year = new Date(now).getFullYear();
  for (const y of [year - 1, year, year + 1]) {
    const t = new Date(y, MONTHS.indexOf(mon), Number(day), h, m, s).getTime();
    const lower = new Date(now); lower.setMonth(lower.getMonth() - 11);
    const upper = new Date(now); upper.setMonth(upper.getMonth() + 1);
    if (t >= lower.getTime() && t <= upper.getTime()) return t;
  }
  throw new Error(`no year for ${stamp}`);
}

/** An RFC 3339 stamp: with an offset as that instant, without one as agent-local time; fraction cut to ms. */
function isoStamp(stamp: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(stamp)!;
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  const parts = [Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms] as const;
  if (!m[8]) return new Date(...parts).getTime();
  const offset = m[8] === 'Z' ? 0 : (m[8][0] === '-' ? -1 : 1) * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
  return Date.UTC(...parts) - offset * 60000;
}

/** RFC 5424 STRUCTURED-DATA at the start of `text` (quotes and backslash escapes honoured), or undefined. */
function leadingSd(text: string): string | undefined {
  if (text[0] !== '[') return undefined;
  let i = 0;
  while (text[i] === '[') {
    let quoted = false;
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (quoted && c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && c === ']') break;
    }
    if (i >= text.length) return undefined;
    i++;
  }
  return text.slice(0, i);
}

function expectedSyslog(line: string, now: number): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  const iso = RFC5424.exec(line);
  const bsd = iso ? null : RFC3164.exec(line);
  const pri = /^<(\d{1,3})>/.exec(line);
  if (!pri || Number(pri[1]) > 191) return { headers: { Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' }, body: line };
  headers.Facility = String(Math.floor(Number(pri[1]) / 8));
  headers.Severity = String(Number(pri[1]) % 8);
  const match = iso ?? bsd;
  if (!match) return { headers, body: line };
  headers.priority = match[1]!;
  if (match[2]) headers.version = match[2];
  if (match[3]) headers.timestamp = String(iso ? isoStamp(match[3]) : bsdStamp(match[3], now));
  if (match[4]) headers.host = match[4];
  const body = match[5]!;
  if (iso && match[2]) {
    const fields = /^(\S+) (\S+) (\S+) /.exec(body);
    const rest = fields ? body.slice(fields[0].length) : '';
    const sd = rest.startsWith('-') && (rest.length === 1 || rest[1] === ' ') ? '-' : leadingSd(rest);
    if (fields && sd !== undefined && (rest.length === sd.length || rest[sd.length] === ' ')) {
      if (fields[1] !== '-') headers.appName = fields[1]!;
      if (fields[2] !== '-') headers.procId = fields[2]!;
      if (fields[3] !== '-') headers.msgId = fields[3]!;
      if (sd !== '-') headers.structuredData = sd;
    }
  } else {
    const tag = /^([^ :[]+)\[([^\]]*)\]/.exec(body) ?? /^([^ :[]+):/.exec(body);
    if (tag) {
      headers.appName = tag[1]!;
      if (tag[2] !== undefined) headers.procId = tag[2];
    }
  }
  return { headers, body: body === '' ? line : body };
}

const SYSLOG_FILES = ['elastic-juniper-srx-system.log', 'elastic-opnsense.log', 'elastic-pfsense-bsd.log'];
/** loghub's syslog files hold what rsyslog wrote to disk; forwarded, each line gets a <PRI>. */
const FILE_LOGS = ['loghub-linux.log', 'loghub-openssh.log', 'loghub-mac.log'];
const corpus = (): string[] => [...SYSLOG_FILES.flatMap(lines), ...FILE_LOGS.flatMap((f) => lines(f).map((l) => `<13>${l}`))];

function checkSyslog(events: SluiceEvent[], sent: string[]): void {
  const now = Date.now();
  expect(events).to.have.length(sent.length);
  sent.forEach((line, i) => {
    const expected = expectedSyslog(line, now);
    expect(events[i]!.headers, line).to.deep.equal(expected.headers);
    expect(events[i]!.body.toString('utf8'), line).to.equal(expected.body);
  });
}

describe('real logs through syslog_tcp, syslog_udp, taildir and log_to_json @slow', function () {
  this.timeout(60000);
  let harness: SuiteHarness | undefined;
  let source: SyslogTcpSource | SyslogUdpSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await harness?.close();
    source = undefined;
    harness = undefined;
  });

  it('finds the fixtures the README lists', () => {
    const readme = readFileSync(path.join(FIXTURES, 'README.md'), 'utf8');
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.log'))) expect(readme).to.contain(`\`${file}\``);
  });

  it(`syslog_tcp (newline framing): device syslog and forwarded file logs, every header and body`, async () => {
    harness = await createHarness();
    source = syslogTcpSource.create({ host: '127.0.0.1', port: 0, eventSize: 4096, keepFields: 'none', clientIPHeader: '', clientHostnameHeader: '', structuredDataHeaders: false, batchSize: 100, ports: [], portHeader: '', maxConnections: 1000, idleTimeout: '10m', frameTimeout: '30s', tls: { enabled: false, cert: '', key: '', ca: '', requireClientCert: false } }, harness.sourceContext('tcp')) as SyslogTcpSource;
    await source.start();
    const sent = corpus();
    const socket = net.connect(source.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    // CRLF line ends as in the files: the framing removes the \r.
    socket.end(sent.map((l) => `${l}\r\n`).join(''));
    checkSyslog(await collectEvents(harness, sent.length, 20000), sent);
  });

  it('syslog_udp: one datagram per line, every header and body', async () => {
    harness = await createHarness();
    source = syslogUdpSource.create({ host: '127.0.0.1', port: 0, eventSize: 4096, keepFields: 'none', clientIPHeader: '', clientHostnameHeader: '', structuredDataHeaders: false, batchSize: 100, maxPending: 10000, receiveBufferSize: '4MiB' }, harness.sourceContext('udp')) as SyslogUdpSource;
    await source.start();
    const sent = corpus();
    const socket = dgram.createSocket('udp4');
    for (const line of sent) await new Promise<void>((resolve, reject) => socket.send(`${line}\n`, (source as SyslogUdpSource).port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    socket.close();
    checkSyslog(await collectEvents(harness, sent.length, 20000), sent);
  });

  it('rsyslog (a real peer) tails loghub OpenSSH and forwards it over UDP in its traditional format to syslog_udp', async () => {
    const rsyslogd = existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';
    harness = await createHarness();
    source = syslogUdpSource.create({ host: '127.0.0.1', port: 0, eventSize: 4096, keepFields: 'none', clientIPHeader: '', clientHostnameHeader: '', structuredDataHeaders: false, batchSize: 100, maxPending: 10000, receiveBufferSize: '4MiB' }, harness.sourceContext('udp')) as SyslogUdpSource;
    await source.start();
    const dir = new TempDir();
    mkdirSync(path.join(dir.path, 'work'));
    const input = dir.write('ssh.log', '');
    const conf = dir.write('rsyslog.conf', `global(workDirectory="${dir.path}/work")
module(load="imfile")
input(type="imfile" File="${input}" Tag="sshlog:" Facility="authpriv" Severity="notice")
action(type="omfwd" target="127.0.0.1" port="${source.port}" protocol="udp" template="RSYSLOG_TraditionalForwardFormat")
`);
    const rsyslog = spawn(rsyslogd, ['-n', '-f', conf, '-i', path.join(dir.path, 'rsyslogd.pid')], { stdio: 'ignore' });
    try {
      const sent = lines('loghub-openssh.log');
      // imfile reads the CRLF file as written; rsyslog forwards each line's text (its \r escaped as #015).
      appendFileSync(input, readFileSync(path.join(FIXTURES, 'loghub-openssh.log')));
      const events = await collectEvents(harness, sent.length, 20000);
      const received = Date.now();
      sent.forEach((line, i) => {
        const event = events[i]!;
        // authpriv is facility 10; notice is severity 5.
        expect(event.headers, line).to.include({ Facility: '10', Severity: '5', priority: '85', appName: 'sshlog' });
        expect(event.headers.host).to.be.a('string').and.not.equal('');
        expect(Math.abs(Number(event.headers.timestamp) - received)).to.be.below(120000);
        expect(event.body.toString('utf8').replace(/#015$/, '')).to.equal(`sshlog: ${line}`);
      });
    } finally {
      const exited = new Promise((resolve) => rsyslog.once('exit', resolve));
      rsyslog.kill('SIGTERM');
      await exited;
      dir.cleanup();
    }
  });

  // ---- reference LOGTOJSON parsers, from the Kinesis agent's patterns, written as string splitting ----
  const HOST = /^(?:[\w-]+(?:\.[\w-]+)*\.?|[\d.]+)$/;
  const USER = /^[a-zA-Z0-9._-]+$/;

  /** SYSLOG: `Mmm dd hh:mm:ss host prog[pid]: message`, or null when the agent's pattern would not match. */
  function syslogJson(line: string): Record<string, string | null> | null {
    const stamp = line.slice(0, 15);
    if (!/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d$/.test(stamp) || line[15] !== ' ') return null;
    const rest = line.slice(16);
    const hostEnd = rest.indexOf(' ');
    const hostname = rest.slice(0, hostEnd);
    const colon = rest.indexOf(': ', hostEnd + 1);
    if (hostEnd <= 0 || !USER.test(hostname) || colon < 0) return null;
    const tag = rest.slice(hostEnd + 1, colon);
    const withPid = /^(.+)\[([1-9]\d*)\]$/.exec(tag);
    const program = withPid ? withPid[1]! : tag;
    if (!/^[\w._/%-]+$/.test(program)) return null;
    return { timestamp: stamp, hostname, program, processid: withPid ? withPid[2]! : null, message: rest.slice(colon + 2) };
  }

  /** COMMONAPACHELOG / COMBINEDAPACHELOG (anything may follow), `-` as null. */
  function accessJson(line: string, combined: boolean): Record<string, string | null> | null {
    const dash = (v: string): string | null => (v === '-' ? null : v);
    const [host, ident, authuser] = line.split(' ', 3) as [string, string, string];
    let p = `${host} ${ident} ${authuser} `.length;
    if (!HOST.test(host ?? '') || !USER.test(ident ?? '') || !USER.test(authuser ?? '') || line[p] !== '[') return null;
    const close = line.indexOf('] "', p);
    const datetime = line.slice(p + 1, close);
    if (close < 0 || !/^\d{1,2}\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]?\d+$/.test(datetime)) return null;
    p = close + 3;
    const endQuote = line.indexOf('"', p);
    const request = line.slice(p, endQuote);
    if (endQuote <= p) return null;
    const numbers = /^ ([+-]?\d+|-) ([+-]?\d+|-)/.exec(line.slice(endQuote + 1));
    if (!numbers) return null;
    const common = { host, ident: dash(ident), authuser: dash(authuser), datetime, request: dash(request), response: dash(numbers[1]!), bytes: dash(numbers[2]!) };
    if (!combined) return common;
    const quoted = /^ "([^"]+)" "([^"]+)"/.exec(line.slice(endQuote + 1 + numbers[0].length));
    return quoted ? { ...common, referer: dash(quoted[1]!), agent: dash(quoted[2]!) } : null;
  }

  /** APACHEERRORLOG: `[time] [module:level] [pid P(:tid T)] [client A] message` ([:level] too). */
  function errorJson(line: string): Record<string, string | null> | null {
    const dash = (v: string | null): string | null => (v === '-' ? null : v);
    const m = /^\[([^\]]+)\] \[([^\]]+)\] \[pid (\d+)(?::tid (\d+))?\] \[client ([^\]]+)\] (.*)$/.exec(line);
    if (!m || !/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d(\.\d+)? \d{4}$/.test(m[1]!)) return null;
    const level = m[2]!.split(':');
    const [module, severity] = level.length === 2 ? [level[0] || null, level[1]!] : [null, level[0]!];
    if (!/^\w+$/.test(severity) || (module !== null && !/^\w+$/.test(module))) return null;
    return { timestamp: m[1]!, module, severity, processid: m[3]!, threadid: m[4] ?? null, client: m[5]!, message: dash(m[6]!) };
  }

  it('taildir + log_to_json in a real agent process: SYSLOG, COMMONAPACHELOG, COMBINEDAPACHELOG, APACHEERRORLOG', async () => {
    const dir = new TempDir();
    let agent: AgentProcess | undefined;
    try {
      const copy = (names: string[], target: string): string[] => {
        const all = names.flatMap((n) => readFileSync(path.join(FIXTURES, n), 'utf8').replace(/\n?$/, '\n'));
        dir.write(target, all.join(''));
        return names.flatMap(lines);
      };
      const syslogLines = copy(FILE_LOGS, 'in-syslog.log');
      const accessLines = copy(['elastic-apache-access-basic.log', 'kinesis-agent-apache-access.log'], 'in-access.log');
      const errorLines = copy(['loghub-apache-error.log', 'elastic-apache-error-basic.log'], 'in-error.log');
      const flows: [string, string, string, string][] = [
        ['sys', 'in-syslog.log', 'SYSLOG', 'drop'], ['common', 'in-access.log', 'COMMONAPACHELOG', 'keep'],
        ['combined', 'in-access.log', 'COMBINEDAPACHELOG', 'keep'], ['errors', 'in-error.log', 'APACHEERRORLOG', 'keep'],
      ];
      const file = dir.write('topology.yaml', `agents:\n  a1:\n    sources:\n${flows.map(([n, f, format, miss]) => `      ${n}: { type: taildir, filegroups: { g: ${JSON.stringify(path.join(dir.path, f))} }, positionFile: ./pos-${n}.json, channels: [${n}], interceptors: [{ type: log_to_json, logFormat: ${format}, onMismatch: ${miss} }] }`).join('\n')}
    channels:\n${flows.map(([n]) => `      ${n}: { type: memory }`).join('\n')}
    sinks:\n${flows.map(([n]) => `      ${n}: { type: file_roll, channel: ${n}, directory: ./out-${n}, rollInterval: 0 }`).join('\n')}
`);
      const expected: Record<string, string[]> = {
        sys: syslogLines.map(syslogJson).filter((r) => r !== null).map((r) => JSON.stringify(r)),
        common: accessLines.map((l) => { const r = accessJson(l, false); return r ? JSON.stringify(r) : l; }),
        combined: accessLines.map((l) => { const r = accessJson(l, true); return r ? JSON.stringify(r) : l; }),
        errors: errorLines.map((l) => { const r = errorJson(l); return r ? JSON.stringify(r) : l; }),
      };
      // The corpus exercises both outcomes of every format.
      expect(expected.sys.length).to.be.within(100, syslogLines.length - 1);
      for (const [name, sourceLines] of [['common', accessLines], ['combined', accessLines], ['errors', errorLines]] as const) {
        const parsed = expected[name]!.filter((e, i) => e !== sourceLines[i]).length;
        expect(parsed, name).to.be.within(1, sourceLines.length - 1);
      }
      agent = AgentProcess.start(file, 'a1');
      await agent.started();
      const output = (name: string): string[] => {
        const out = path.join(dir.path, `out-${name}`);
        try {
          return readdirSync(out).sort().flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean));
        } catch {
          return [];
        }
      };
      const deadline = Date.now() + 20000;
      while (flows.some(([n]) => output(n).length < expected[n]!.length) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      for (const [name] of flows) expect(output(name), name).to.deep.equal(expected[name]);
    } finally {
      await agent?.stop();
      dir.cleanup();
    }
  });
});
