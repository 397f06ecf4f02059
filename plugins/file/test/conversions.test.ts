import { expect } from 'chai';
import { createEvent, MetricGroup, type SluiceEvent } from '@sluice/core';
import {
  CsvToJsonInterceptor, LogToJsonInterceptor, SingleLineInterceptor, splitDelimited, type LogToJsonConfig,
} from '../src/index.js';

const bodies = (events: SluiceEvent[]): unknown[] => events.map((e) => JSON.parse(e.body.toString()));
const logToJson = (logFormat: LogToJsonConfig['logFormat'], extra: Partial<LogToJsonConfig> = {}) =>
  new LogToJsonInterceptor({ logFormat, matchPattern: '', customFieldNames: [], onMismatch: 'keep', mismatchHeader: 'logToJsonMismatch', ...extra });

describe('log_to_json as the Kinesis agent defines it', () => {
  // Vectors of the Kinesis agent's DataConverterTest (tst/com/amazon/kinesis/streaming/agent/processing/
  // processors/DataConverterTest.java, awslabs/amazon-kinesis-agent@aa0d908); the agent appends a
  // newline to its JSON, Sluice's event bodies carry none. Key order is compared too.
  const json = (events: SluiceEvent[]): string[] => events.map((e) => e.body.toString());
  const line = '123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450';

  it('testApacheLogDataConverterCombinedApacheLog: trailing fields after the agent are accepted', () => {
    expect(json(logToJson('COMBINEDAPACHELOG').intercept([createEvent(`${line} "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)" "ANY_RANDOM_DATA"`)]))).to.deep.equal([
      '{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450","referer":null,"agent":"Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"}',
    ]);
  });

  it('testApacheLogDataConverterCommonApacheLog: combined lines give the seven common fields; host names', () => {
    const expected = '{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450"}';
    const out = logToJson('COMMONAPACHELOG').intercept([
      createEvent(`${line} "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"`), createEvent(line), createEvent(`${line}\n`),
      createEvent(line.replace('123.45.67.89', 'lj1036.inktomisearch.com')),
    ]);
    expect(json(out)).to.deep.equal([expected, expected, expected, expected.replace('123.45.67.89', 'lj1036.inktomisearch.com')]);
  });

  it('testApacheLogDataConverterApacheErrorLog, and Apache 2.4 `[:error]` (module null, severity error)', () => {
    const out = logToJson('APACHEERRORLOG').intercept([
      createEvent('[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico'),
      createEvent('[Fri Sep 09 10:42:29 2011] [core:error] [pid 35708] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico'),
      createEvent('[Fri Sep 09 10:42:29.902022 2011] [error] [pid 35708:tid 4328636416] [client 72.15.99.187:12345] File does not exist: /usr/local/apache2/htdocs/favicon.ico'),
      createEvent('[Sat Nov 28 10:17:52.123456 2026] [:error] [pid 2817] [client 10.0.0.9:51234] PHP Warning:  Division by zero'),
    ]);
    expect(json(out)).to.deep.equal([
      '{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":"core","severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"}',
      '{"timestamp":"Fri Sep 09 10:42:29 2011","module":"core","severity":"error","processid":"35708","threadid":null,"client":"72.15.99.187","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"}',
      '{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":null,"severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187:12345","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"}',
      '{"timestamp":"Sat Nov 28 10:17:52.123456 2026","module":null,"severity":"error","processid":"2817","threadid":null,"client":"10.0.0.9:51234","message":"PHP Warning:  Division by zero"}',
    ]);
  });

  it('testApacheLogDataConverterInvalidLog and the agent\'s other refusals: dropped by default, counted', () => {
    const lines = [
      '123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200',
      '10.0.0.7 - - [26/Nov/2026:07:44:44 +0000] "POST /api?q=\\"x\\" HTTP/2.0" 304 -',
    ];
    const metrics = new MetricGroup('INTERCEPTOR', 'i1');
    const interceptor = new LogToJsonInterceptor({ logFormat: 'COMMONAPACHELOG', matchPattern: '', customFieldNames: [], onMismatch: 'drop', mismatchHeader: 'logToJsonMismatch' }, metrics);
    expect(interceptor.intercept(lines.map((l) => createEvent(l)))).to.deep.equal([]);
    expect(metrics.get('EventUnparsedCount')).to.equal(2);
    // Error lines without [pid] or [client] (Apache 2.2, or 2.4 lines about no client) do not match the agent's pattern.
    const error = logToJson('APACHEERRORLOG', { onMismatch: 'drop' }).intercept([
      createEvent('[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test'),
      createEvent('[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] AH00037: Symbolic link not allowed'),
    ]);
    expect(error).to.deep.equal([]);
  });

  it('testApacheLogDataConverterCustomCommonApacheLog and CustomPattern (whole-line match, "-" as null)', () => {
    const names = ['column1', 'column2', 'column3', 'column4', 'column5', 'column6', 'column7'];
    expect(json(logToJson('COMMONAPACHELOG', { customFieldNames: names }).intercept([createEvent(line)]))).to.deep.equal([
      '{"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200","column7":"10450"}',
    ]);
    const custom = logToJson('COMMONAPACHELOG', { matchPattern: '^([\\d.]+) (\\S+) (\\S+) \\[([\\w:/]+\\s[+\\-]\\d{4})\\] "(.+?)" (\\d{3})', customFieldNames: names.slice(0, 6) });
    expect(json(custom.intercept([createEvent('123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200'), createEvent(line)]))).to.deep.equal([
      '{"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200"}',
      line,
    ]);
  });

  it('testSysLogDataConverter, and the agent\'s SYSLOG refusals (a <PRI>, runs of spaces, no space after the colon)', () => {
    const out = logToJson('SYSLOG').intercept([
      createEvent('Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in \'ximian-red-carpet|351\' (0.01878 seconds) '),
      createEvent('Mar 12 12:01:02 server4 snort: Ports to decode telnet on: 21 23 25 119'),
      createEvent('Nov  3 09:05:01 myhost CRON[12345]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)'),
      createEvent('<34>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick on /dev/pts/8'),
      createEvent('Nov 26 07:44:44   edge-01    kernel: [  12.345678] eth0: link up'),
      createEvent('Jan  1 00:00:00 h sshd[7]:no space after colon'),
    ]);
    expect(json(out)).to.deep.equal([
      '{"timestamp":"Mar 12 12:00:08","hostname":"server2","program":"rcd","processid":"308","message":"Loaded 12 packages in \'ximian-red-carpet|351\' (0.01878 seconds) "}',
      '{"timestamp":"Mar 12 12:01:02","hostname":"server4","program":"snort","processid":null,"message":"Ports to decode telnet on: 21 23 25 119"}',
      '{"timestamp":"Nov  3 09:05:01","hostname":"myhost","program":"CRON","processid":"12345","message":"(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"}',
      '<34>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick on /dev/pts/8',
      'Nov 26 07:44:44   edge-01    kernel: [  12.345678] eth0: link up',
      'Jan  1 00:00:00 h sshd[7]:no space after colon',
    ]);
  });

  it('RFC3339SYSLOG reads rsyslog\'s high-precision file format; RFC3164SYSLOG is SYSLOG', () => {
    expect(bodies(logToJson('RFC3339SYSLOG').intercept([createEvent('2026-11-26T07:44:44.123456+01:00 edge-01 systemd[1]: Started Session 4.')]))).to.deep.equal([
      { timestamp: '2026-11-26T07:44:44.123456+01:00', hostname: 'edge-01', program: 'systemd', processid: '1', message: 'Started Session 4.' },
    ]);
    expect(bodies(logToJson('RFC3164SYSLOG').intercept([createEvent('Mar 12 12:01:02 server4 snort: x')]))).to.deep.equal([
      { timestamp: 'Mar 12 12:01:02', hostname: 'server4', program: 'snort', processid: null, message: 'x' },
    ]);
  });

  it('onMismatch keep passes a line unchanged; deadLetter also marks it with mismatchHeader', () => {
    const kept = logToJson('COMMONAPACHELOG').intercept([createEvent('not a log line')]);
    expect(kept.map((e) => [e.body.toString(), e.headers])).to.deep.equal([['not a log line', {}]]);
    const marked = logToJson('COMMONAPACHELOG', { onMismatch: 'deadLetter', mismatchHeader: 'bad' }).intercept([createEvent('not a log line'), createEvent(line)]);
    expect(marked.map((e) => e.headers)).to.deep.equal([{ bad: 'COMMONAPACHELOG' }, {}]);
  });

  it('refuses matchPattern without customFieldNames, with a different group count, a bad regex, and a wrong count of renamed fields', () => {
    expect(bodies(logToJson('SYSLOG', { matchPattern: '(\\w+)=(\\d+)', customFieldNames: ['key', 'value'] }).intercept([createEvent('answer=42')]))).to.deep.equal([{ key: 'answer', value: '42' }]);
    for (const extra of [{ matchPattern: '^(x)$' }, { matchPattern: '(', customFieldNames: ['a'] }, { matchPattern: '(a)(b)', customFieldNames: ['a'] }, { customFieldNames: ['a', 'b'] }]) {
      expect(() => logToJson('SYSLOG', extra), JSON.stringify(extra)).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    }
  });
});

describe('csv_to_json', () => {
  it('the Kinesis agent\'s testCSVToJSONDataConverter vectors (CSV and TSV, fewer and more fields, trailing empty fields)', () => {
    const names = ['column1', 'column2', 'column3', 'column4'];
    const convert = (delimiter: string, body: string): string => new CsvToJsonInterceptor({ customFieldNames: names, delimiter, trim: false }).intercept([createEvent(body)])[0]!.body.toString();
    expect(convert(',', 'value1, value2,valu\ne3,    value4\n')).to.equal('{"column1":"value1","column2":" value2","column3":"valu\\ne3","column4":"    value4"}');
    expect(convert(',', 'value1, value2,value3\n')).to.equal('{"column1":"value1","column2":" value2","column3":"value3","column4":null}');
    expect(convert(',', 'value1,value2,value3,value4,value5\n')).to.equal('{"column1":"value1","column2":"value2","column3":"value3","column4":"value4"}');
    expect(convert('\t', 'value1\t value2\tvalue3\t    value4\n')).to.equal('{"column1":"value1","column2":" value2","column3":"value3","column4":"    value4"}');
    expect(convert(',', 'a,b,,')).to.equal('{"column1":"a","column2":"b","column3":null,"column4":null}');
  });

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
  it('the Kinesis agent\'s testSingleLineDataConverter record (default options; ESCAPE_NEW_LINE is separator: "\\\\n")', () => {
    const record = '{\n   "a": {\n           "b": 1,\n           "c": null,\n           "d": true\n    },\n   "e": "f",\n   "g": 2\n     }\n';
    expect(new SingleLineInterceptor({ separator: '' }).intercept([createEvent(record)])[0]!.body.toString()).to.equal('{"a": {"b": 1,"c": null,"d": true},"e": "f","g": 2}');
    expect(new SingleLineInterceptor({ separator: '\\n' }).intercept([createEvent(record)])[0]!.body.toString()).to.equal('{\\n"a": {\\n"b": 1,\\n"c": null,\\n"d": true\\n},\\n"e": "f",\\n"g": 2\\n}');
  });

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
