export { main, USAGE } from './cli.js';
export { findInstalledPlugins } from './commands/plugins-command.js';
