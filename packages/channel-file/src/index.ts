import { definePlugin } from '@sluice/core';
import { fileChannel } from './file-channel-component.js';
import { spillableMemoryChannel } from './spillable-memory-channel-component.js';

export { fileChannel } from './file-channel-component.js';
export { FileChannel, type FileChannelConfig } from './file-channel.js';
export { spillableMemoryChannel } from './spillable-memory-channel-component.js';
export { SpillableMemoryChannel, type SpillableMemoryChannelConfig } from './spillable-memory-channel.js';

/** The `@sluice/channel-file` plugin: the durable `file` channel and the `spillablememory` channel. */
export default definePlugin({ name: '@sluice/channel-file', core: '^0.1.0', components: [fileChannel, spillableMemoryChannel] });
