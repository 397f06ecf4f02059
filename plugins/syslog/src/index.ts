import { definePlugin } from '@sluice/core';

// Work in progress: components are added by the issue that builds this plugin.
export default definePlugin({ name: '@sluice/plugin-syslog', core: '^0.1.0', components: [] });
