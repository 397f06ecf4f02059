import { definePlugin } from '@sluice/core';
import { fileChannel } from './file-channel-component.js';

export { fileChannel } from './file-channel-component.js';
export { FileChannel, type FileChannelConfig } from './file-channel.js';

/** The `@sluice/channel-file` plugin: the durable `file` channel. */
export default definePlugin({ name: '@sluice/channel-file', core: '^0.1.0', components: [fileChannel] });
