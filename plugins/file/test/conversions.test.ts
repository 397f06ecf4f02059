import { expect } from 'chai';
import { createEvent, type SluiceEvent } from '@sluice/core';
import {
  CsvToJsonInterceptor, LogToJsonInterceptor, SingleLineInterceptor, splitDelimited, type LogToJsonConfig,
} from '../src/index.js';

const bodies = (events: SluiceEvent[]): unknown[] => events.map((e) => JSON.parse(e.body.toString()));
const logToJson = (logFormat: LogToJsonConfig['logFormat'], extra: Partial<LogToJsonConfig> = {}) =>
  new LogToJsonInterceptor({ logFormat, matchPattern: '', customFieldNames: [], onMismatch: 'pass', ...extra });

describe('log_to_json on real-format samples', () => {
  it('parses Apache common log lines, "-" as null', () => {
    const out = logToJson('COMMONAPACHELOG').intercept([
      createEvent('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'),
      createEvent('64.242.88.10 - - [07/Mar/2004:16:05:49 -0800] "GET /twiki/bin/edit/Main/Double_bounce_sender?topicparent=Main.ConfigurationVariables HTTP/1.1" 401 12846'),
      createEvent('10.0.0.7 - - [26/Nov/2026:07:44:44 +0000] "POST /api?q=\\"x\\" HTTP/2.0" 304 -'),
    ]);
    expect(bodies(out)).to.deep.equal([
      { host: '127.0.0.1', ident: null, authuser: 'frank', datetime: '10/Oct/2000:13:55:36 -0700', request: 'GET /apache_pb.gif HTTP/1.0', response: '200', bytes: '2326' },
      { host: '64.242.88.10', ident: null, authuser: null, datetime: '07/Mar/2004:16:05:49 -0800', request: 'GET /twiki/bin/edit/Main/Double_bounce_sender?topicparent=Main.ConfigurationVariables HTTP/1.1', response: '401', bytes: '12846' },
      { host: '10.0.0.7', ident: null, authuser: null, datetime: '26/Nov/2026:07:44:44 +0000', request: 'POST /api?q=\\"x\\" HTTP/2.0', response: '304', bytes: null },
    ]);
  });

  it('parses Apache combined log lines with referer and user agent', () => {
    const out = logToJson('COMBINEDAPACHELOG').intercept([
      createEvent('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'),
      createEvent('192.168.1.20 - - [28/Jul/2006:10:27:10 -0300] "GET /cgi-bin/try/ HTTP/1.0" 200 3395 "-" "-"'),
    ]);
    expect(bodies(out)).to.deep.equal([
      { host: '127.0.0.1', ident: null, authuser: 'frank', datetime: '10/Oct/2000:13:55:36 -0700', request: 'GET /apache_pb.gif HTTP/1.0', response: '200', bytes: '2326', referer: 'http://www.example.com/start.html', agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)' },
      { host: '192.168.1.20', ident: null, authuser: null, datetime: '28/Jul/2006:10:27:10 -0300', request: 'GET /cgi-bin/try/ HTTP/1.0', response: '200', bytes: '3395', referer: null, agent: null },
    ]);
  });

  it('parses Apache 2.4 and 2.2 error log lines', () => {
    const out = logToJson('APACHEERRORLOG').intercept([
      createEvent('[Tue Aug 01 07:17:44.496832 2017] [core:info] [pid 15019:tid 140080326108928] [client 192.168.56.1:60154] AH00128: File does not exist: /var/www/html/notafile.html'),
      createEvent('[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test'),
      createEvent('[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] AH00037: Symbolic link not allowed'),
    ]);
    expect(bodies(out)).to.deep.equal([
      { timestamp: 'Tue Aug 01 07:17:44.496832 2017', module: 'core', severity: 'info', processid: '15019', threadid: '140080326108928', client: '192.168.56.1:60154', message: 'AH00128: File does not exist: /var/www/html/notafile.html' },
      { timestamp: 'Wed Oct 11 14:32:52 2000', module: null, severity: 'error', processid: null, threadid: null, client: '127.0.0.1', message: 'client denied by server configuration: /export/home/live/ap/htdocs/test' },
      { timestamp: 'Fri Sep 09 10:42:29.902022 2011', module: 'core', severity: 'error', processid: '35708', threadid: '4328636416', client: null, message: 'AH00037: Symbolic link not allowed' },
    ]);
  });

  it('parses RFC 3164 syslog lines with odd spacing, with or without PRI and pid', () => {
    const out = logToJson('RFC3164SYSLOG').intercept([
      createEvent('Nov  3 09:05:01 myhost CRON[12345]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)'),
      createEvent('<34>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick on /dev/pts/8'),
      createEvent('Nov 26 07:44:44   edge-01    kernel: [  12.345678] eth0: link up'),
      createEvent('Jan  1 00:00:00 h sshd[7]:no space after colon'),
    ]);
    expect(bodies(out)).to.deep.equal([
      { timestamp: 'Nov  3 09:05:01', hostname: 'myhost', program: 'CRON', processid: '12345', message: '(root) CMD (   cd / && run-parts --report /etc/cron.hourly)' },
      { timestamp: 'Oct 11 22:14:15', hostname: 'mymachine', program: 'su', processid: null, message: '\'su root\' failed for lonvick on /dev/pts/8' },
      { timestamp: 'Nov 26 07:44:44', hostname: 'edge-01', program: 'kernel', processid: null, message: '[  12.345678] eth0: link up' },
      { timestamp: 'Jan  1 00:00:00', hostname: 'h', program: 'sshd', processid: '7', message: 'no space after colon' },
    ]);
  });

  it('passes lines that do not match through unchanged, or drops them, and counts them', () => {
    const lines = ['not a log line', '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1', 'another bad one'];
    const passed = logToJson('COMMONAPACHELOG').intercept(lines.map((l) => createEvent(l)));
    expect(passed.map((e) => e.body.toString())[0]).to.equal('not a log line');
    expect(passed).to.have.length(3);
    const dropped = logToJson('COMMONAPACHELOG', { onMismatch: 'drop' }).intercept(lines.map((l) => createEvent(l)));
    expect(bodies(dropped)).to.deep.equal([{ host: '127.0.0.1', ident: null, authuser: null, datetime: '10/Oct/2000:13:55:36 -0700', request: 'GET / HTTP/1.0', response: '200', bytes: '1' }]);
  });

  it('uses matchPattern with customFieldNames, and rejects a pattern without names with SLUICE_CONFIG_INVALID', () => {
    const out = logToJson('SYSLOG', { matchPattern: '^(\\w+)=(\\d+)$', customFieldNames: ['key', 'value'] }).intercept([createEvent('answer=42')]);
    expect(bodies(out)).to.deep.equal([{ key: 'answer', value: '42' }]);
    expect(() => logToJson('SYSLOG', { matchPattern: '^(x)$' })).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(() => logToJson('SYSLOG', { matchPattern: '(', customFieldNames: ['a'] })).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });
});

describe('csv_to_json', () => {
  it('splits quoted fields holding delimiters, doubled quotes and newlines', () => {
    expect(splitDelimited('a,"b,c",d', ',', true)).to.deep.equal(['a', 'b,c', 'd']);
    expect(splitDelimited('"say ""hi""", 2 ,', ',', true)).to.deep.equal(['say "hi"', '2', '']);
    expect(splitDelimited('"multi\nline";x', ';', true)).to.deep.equal(['multi\nline', 'x']);
    expect(splitDelimited('a||"b||c"||d', '||', false)).to.deep.equal(['a', 'b||c', 'd']);
    expect(splitDelimited(' a , b ', ',', false)).to.deep.equal([' a ', ' b ']);
  });

  it('converts records to JSON with the custom field names (missing fields null, extras counted)', () => {
    const interceptor = new CsvToJsonInterceptor({ customFieldNames: ['id', 'name', 'city'], delimiter: ',', trim: true });
    const out = interceptor.intercept([
      createEvent('1, "Smith, John", "Portland, OR"'),
      createEvent('2,"O""Brien",Dublin'),
      createEvent('3,short'),
      createEvent('4,a,b,extra'),
    ]);
    expect(bodies(out)).to.deep.equal([
      { id: '1', name: 'Smith, John', city: 'Portland, OR' },
      { id: '2', name: 'O"Brien', city: 'Dublin' },
      { id: '3', name: 'short', city: null },
      { id: '4', name: 'a', city: 'b' },
    ]);
  });

  it('honours a tab delimiter', () => {
    const out = new CsvToJsonInterceptor({ customFieldNames: ['f1', 'f2'], delimiter: '\t', trim: true }).intercept([createEvent('v1\t"v\t2"')]);
    expect(bodies(out)).to.deep.equal([{ f1: 'v1', f2: 'v\t2' }]);
  });
});

describe('single_line', () => {
  it('joins a stack trace into one trimmed line', () => {
    const out = new SingleLineInterceptor({ separator: '' }).intercept([
      createEvent('  java.lang.IllegalStateException: bad\n\tat a.b.C.d(C.java:10)  \r\n    at a.b.C.main(C.java:3)\n'),
      createEvent('  plain  '),
      createEvent('untouched'),
    ]);
    expect(out.map((e) => e.body.toString())).to.deep.equal([
      'java.lang.IllegalStateException: badat a.b.C.d(C.java:10)at a.b.C.main(C.java:3)', 'plain', 'untouched',
    ]);
  });

  it('puts the separator between joined lines', () => {
    const out = new SingleLineInterceptor({ separator: ' ' }).intercept([createEvent('a\n  b\nc')]);
    expect(out[0]!.body.toString()).to.equal('a b c');
  });
});
