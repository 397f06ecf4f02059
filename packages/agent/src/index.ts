export * from './agent.js';
export * from './component-catalog.js';
export * from './first-party.js';
export * from './plugin-loader.js';
export * from './load-agent.js';
