import { readFileSync } from 'node:fs';

/** The version of @sluice/core, checked against each plugin's declared `core` range. */
export const CORE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
