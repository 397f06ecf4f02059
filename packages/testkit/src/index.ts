export * from './channel-suite.js';
