import { definePlugin } from '@sluice/core';
import { webhookSink } from './webhook-sink.js';

export { WebhookSink, webhookSink } from './webhook-sink.js';

/** The plugin: name it in a topology's `plugins:` list, then use `type: webhook`. */
export default definePlugin({
  name: "@sluice-examples/sluice-plugin-webhook",
  core: "^0.1.0",
  components: [webhookSink],
});
