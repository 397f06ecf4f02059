export * from './channel-suite.js';
export * from './sink-suite.js';
export * from './source-suite.js';
export * from './suite-context.js';
export * from './run-agent.js';
export * from './webhdfs/webhdfs-test-server.js';
export * from './kafka/mock-cluster.js';
export * from './peers/index.js';
