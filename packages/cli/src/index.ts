export { main, USAGE } from './cli.js';
export { findInstalledPlugins } from './commands/plugins-command.js';
export { renderDocs, FIRST_PARTY_PACKAGES } from './commands/docs-command.js';
export { renderMigratedYaml } from './commands/migrate-command.js';
