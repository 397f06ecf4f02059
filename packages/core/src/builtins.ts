import { definePlugin } from './define.js';
import { defaultSinkProcessor } from './components/default-sink-processor.js';
import { fileRollSink } from './components/file-roll-sink.js';
import { loggerSink } from './components/logger-sink.js';
import { memoryChannel } from './components/memory-channel.js';
import { netcatSource } from './components/netcat-source.js';
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
    memoryChannel, seqSource, stdinSource, netcatSource, nullSink, loggerSink, fileRollSink,
    replicatingSelector, defaultSinkProcessor,
  ],
});
