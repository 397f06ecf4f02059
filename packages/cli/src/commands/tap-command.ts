import { readTopology } from '@sluice/config';
import { monitoringBase, monitoringOfFile } from './monitoring-address.js';
import { renderTapLine, type TapLine } from './render-tap.js';
import { monitoringRequestHeaders } from '@sluice/agent';

/** Options of `sluice tap`. */
export interface TapCommandOptions {
  /** Sources (`NAME` = its output, `NAME:interceptors` = its interceptor chain's output) and sinks (their input). */
  components: string[];
  /** The agent's monitoring address (`URL`, `host:port` or a port); otherwise from the file. */
  url: string | undefined;
  file: string | undefined;
  name: string | undefined;
  /** Events per second at most (server side; default 10). */
  rate: string | undefined;
  /** Stop after this many events. */
  limit: string | undefined;
  /** Print the server's NDJSON lines unchanged instead of one readable line per event. */
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Ends the tap like Ctrl-C (tests); SIGINT always does. */
  signal?: AbortSignal;
}

/**
 * `sluice tap [--url URL | -f FILE [-n NAME]] COMPONENT...`: prints a live, rate-limited sample of
 * the events passing the named components of a running agent, read from its monitoring server's
 * `GET /tap` (enabled by `monitoring.http.tap: true`). Resolves 0 on Ctrl-C or after `--limit`
 * events, 1 when the agent cannot be reached, refuses the tap or goes away, 2 on a usage error.
 */
export async function tapCommand(options: TapCommandOptions): Promise<number> {
  const { err } = options;
  if (options.components.length === 0) {
    err.write('sluice tap: name at least one source or sink: sluice tap -f topology.yaml COMPONENT (NAME:interceptors for a source\'s interceptor chain)\n');
    return 2;
  }
  for (const [flag, value] of [['--rate', options.rate], ['--limit', options.limit]] as const) {
    if (value !== undefined && !/^\d+$/.test(value)) {
      err.write(`sluice tap: ${flag} must be a whole number, got '${value}'\n`);
      return 2;
    }
  }
  let base: string;
  if (options.url !== undefined) {
    base = monitoringBase(options.url);
  } else if (options.file !== undefined) {
    const problem = await checkFile(options.file, options.name, options.components);
    if (typeof problem === 'string') {
      err.write(`sluice tap: ${problem}\n`);
      return 1;
    }
    base = problem.base;
  } else {
    err.write('sluice tap: give the agent\'s monitoring address (--url http://127.0.0.1:41414) or its topology (-f FILE)\n');
    return 2;
  }
  const query = new URLSearchParams();
  for (const component of options.components) query.append('component', component);
  if (options.rate !== undefined) query.set('rate', options.rate);
  if (options.limit !== undefined) query.set('limit', options.limit);
  const controller = new AbortController();
  const onInt = (): void => controller.abort();
  // `sluice tap ... | head` closes stdout: stop tapping quietly, as on Ctrl-C.
  const onOutError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') err.write(`sluice tap: cannot write the output: ${error.message}\n`);
    controller.abort();
  };
  process.once('SIGINT', onInt);
  options.out.on('error', onOutError);
  options.signal?.addEventListener('abort', onInt, { once: true });
  try {
    return await stream(`${base}/tap?${query}`, options, controller.signal);
  } finally {
    process.off('SIGINT', onInt);
    options.out.off('error', onOutError);
    options.signal?.removeEventListener('abort', onInt);
  }
}

async function stream(url: string, options: TapCommandOptions, signal: AbortSignal): Promise<number> {
  const { out, err } = options;
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: monitoringRequestHeaders() });
  } catch (error) {
    if (signal.aborted) return 0;
    err.write(`sluice tap: cannot reach ${new URL(url).origin}: ${causeOf(error)}; is the agent running with monitoring: { http: { tap: true } }?\n`);
    return 1;
  }
  if (!response.ok || !response.body) {
    err.write(`sluice tap: ${new URL(url).origin} refused the tap (HTTP ${response.status}): ${(await response.text()).trim()}\n`);
    return 1;
  }
  const limit = options.limit === undefined ? 0 : Number(options.limit);
  let events = 0;
  let pending = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (text === '') continue;
        const line = JSON.parse(text) as TapLine;
        if (line.type === 'event') events += 1;
        if (options.json) out.write(`${text}\n`);
        else if (line.type === 'event') out.write(`${renderTapLine(line)}\n`);
        else err.write(`${renderTapLine(line)}\n`);
      }
    }
  } catch (error) {
    if (signal.aborted) return 0;
    err.write(`sluice tap: the stream broke: ${causeOf(error)}\n`);
    return 1;
  }
  if (limit > 0 && events >= limit) return 0;
  err.write('sluice tap: the agent closed the tap (it stopped or restarted its monitoring server)\n');
  return 1;
}

/** The monitoring address of the file, or why the tap cannot work with it. */
async function checkFile(file: string, name: string | undefined, components: string[]): Promise<{ base: string } | string> {
  const monitoring = await monitoringOfFile(file);
  if (!monitoring.tap) return `${file} does not enable the tap: set monitoring: { http: { port: 41414, tap: true } } and restart the agent (or give --url)`;
  if (monitoring.base === undefined) return `${file} sets no fixed monitoring.http.port; give the agent's monitoring address with --url`;
  const agents = ((await readTopology(file)).data as { agents?: Record<string, { sources?: object; sinks?: object }> }).agents ?? {};
  const names = Object.keys(agents);
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) return `${file} defines ${names.length} agents (${names.join(', ')}); choose one with -n NAME`;
  const agent = agents[chosen];
  if (!agent) return `${file} defines no agent '${chosen}' (agents: ${names.join(', ')})`;
  const sources = Object.keys(agent.sources ?? {});
  const sinks = Object.keys(agent.sinks ?? {});
  for (const component of components) {
    const source = component.endsWith(':interceptors') ? component.slice(0, -':interceptors'.length) : component;
    if (!sources.includes(component) && !sinks.includes(component) && !sources.includes(source)) {
      return `agent '${chosen}' in ${file} has no source or sink '${component}'; sources: ${sources.join(', ') || 'none'} (add :interceptors for a chain's output); sinks: ${sinks.join(', ') || 'none'}`;
    }
  }
  return { base: monitoring.base };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
