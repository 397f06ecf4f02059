import { definePlugin } from './define.js';
import { defaultSinkProcessor } from './components/default-sink-processor.js';
import { failoverSinkProcessor } from './components/failover-sink-processor.js';
import { hostInterceptor } from './components/interceptors/host-interceptor.js';
import { regexExtractorInterceptor } from './components/interceptors/regex-extractor-interceptor.js';
import { regexFilterInterceptor } from './components/interceptors/regex-filter-interceptor.js';
import { removeHeaderInterceptor } from './components/interceptors/remove-header-interceptor.js';
import { searchReplaceInterceptor } from './components/interceptors/search-replace-interceptor.js';
import { staticInterceptor } from './components/interceptors/static-interceptor.js';
import { timestampInterceptor } from './components/interceptors/timestamp-interceptor.js';
import { uuidInterceptor } from './components/interceptors/uuid-interceptor.js';
import { loadBalanceSinkProcessor } from './components/load-balance-sink-processor.js';
import { loadBalancingSelector } from './components/load-balancing-selector.js';
import { multiplexingSelector } from './components/multiplexing-selector.js';
import { fileRollSink } from './components/file-roll-sink.js';
import { loggerSink } from './components/logger-sink.js';
import { memoryChannel } from './components/memory-channel.js';
import { netcatSource } from './components/netcat-source.js';
import { netcatUdpSource } from './components/netcat-udp-source.js';
import { nullSink } from './components/null-sink.js';
import { replicatingSelector } from './components/replicating-selector.js';
import { seqSource } from './components/seq-source.js';
import { stdinSource } from './components/stdin-source.js';
import { CORE_VERSION } from './version.js';

/** The components every agent has without naming a plugin. */
export const builtinPlugin = definePlugin({
  name: '@sluice/core',
  core: CORE_VERSION,
  components: [
    memoryChannel, seqSource, stdinSource, netcatSource, netcatUdpSource, nullSink, loggerSink, fileRollSink,
    replicatingSelector, multiplexingSelector, loadBalancingSelector, defaultSinkProcessor, failoverSinkProcessor, loadBalanceSinkProcessor,
    timestampInterceptor, hostInterceptor, staticInterceptor, removeHeaderInterceptor, uuidInterceptor,
    regexFilterInterceptor, regexExtractorInterceptor, searchReplaceInterceptor,
  ],
});
