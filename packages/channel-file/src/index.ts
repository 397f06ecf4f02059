import { definePlugin } from '@sluice/core';

// Work in progress: the file channel is added by its issue.
export default definePlugin({ name: '@sluice/channel-file', core: '^0.1.0', components: [] });
