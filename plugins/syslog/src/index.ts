import { definePlugin } from '@sluice/core';
import { syslogTcpSource } from './syslog-tcp-source.js';
import { syslogUdpSource } from './syslog-udp-source.js';

export { SyslogTcpSource, syslogTcpSource, type SyslogTcpSourceConfig } from './syslog-tcp-source.js';
export { SyslogUdpSource, syslogUdpSource, type SyslogUdpSourceConfig } from './syslog-udp-source.js';
export { SyslogParser, SYSLOG_HEADERS, type KeepFields, type SyslogParserOptions } from './syslog-parser.js';
export { SyslogFramer, FramingError, type Framing, type FrameHandler, type FrameRangeHandler } from './syslog-framer.js';

/** `@sluice/plugin-syslog`: the `syslog_tcp` (plain or TLS) and `syslog_udp` sources. */
export default definePlugin({ name: '@sluice/plugin-syslog', core: '^0.1.0', components: [syslogTcpSource, syslogUdpSource] });
