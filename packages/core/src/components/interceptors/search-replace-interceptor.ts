import { defineComponent } from '../../define.js';
import type { ComponentContext } from '../../context.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { throwConfigProblems, type Problem } from '../../problem.js';
import { regexError } from './regex-error.js';
import { renameFlumeKeys } from './flume-keys.js';

/** Config of the `search_replace` interceptor (Flume's SearchAndReplaceInterceptor). */
export interface SearchReplaceInterceptorConfig {
  searchPattern: string;
  replaceString: string;
  charset: 'utf8' | 'latin1' | 'ascii' | 'utf16le';
}

/** Replaces every match of `searchPattern` in the body; `$1` in `replaceString` refers to groups. */
export class SearchReplaceInterceptor implements Interceptor {
  private readonly pattern: RegExp;

  constructor(private readonly config: SearchReplaceInterceptorConfig, component = 'search_replace') {
    throwConfigProblems(searchReplaceProblems(config), `interceptor '${component}'`);
    this.pattern = new RegExp(config.searchPattern, 'g');
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const { replaceString, charset } = this.config;
    for (const event of events) {
      const text = event.body.toString(charset);
      const replaced = text.replace(this.pattern, replaceString);
      // Untouched bodies keep their Buffer: no copy when nothing matched.
      if (replaced !== text) event.body = Buffer.from(replaced, charset);
    }
    return events;
  }
}

/** What the constructor would refuse in a search_replace config (the `check` of the definition). Pure. */
export function searchReplaceProblems(config: SearchReplaceInterceptorConfig): Problem[] {
  const message = regexError(config.searchPattern, 'g', 'searchPattern');
  if (message !== undefined) return [{ path: '/searchPattern', message }];
  // A pattern that matches nothing matches at every position: the replacement goes between every
  // two characters (almost always `a*` meant as `a+`), and each of those matches scans the rest of
  // the body, which is quadratic in its length.
  if (new RegExp(config.searchPattern).test('')) {
    return [{ path: '/searchPattern', message: `searchPattern '${config.searchPattern}' matches the empty string, so it would match between every two characters of every body; make it match at least one character (e.g. a+ rather than a*)` }];
  }
  return [];
}

const CHARSETS: Record<string, SearchReplaceInterceptorConfig['charset']> = {
  'utf-8': 'utf8', utf8: 'utf8', 'iso-8859-1': 'latin1', latin1: 'latin1', 'us-ascii': 'ascii', ascii: 'ascii', 'utf-16le': 'utf16le', utf16le: 'utf16le',
};

export const searchReplaceInterceptor = defineComponent<'interceptor', SearchReplaceInterceptorConfig>({
  kind: 'interceptor',
  type: 'search_replace',
  description: 'Rewrites event bodies: every match of a regular expression is replaced.',
  guarantee: 'Never drops events.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      searchPattern: { type: 'string', minLength: 1, description: 'Regular expression to search for in the body (JavaScript syntax). Required.' },
      replaceString: { type: 'string', default: '', description: 'Replacement; $1, $2 ... insert capture groups.' },
      charset: { type: 'string', enum: ['utf8', 'latin1', 'ascii', 'utf16le'], default: 'utf8', description: 'Encoding of the body.' },
    },
    required: ['searchPattern', 'replaceString', 'charset'],
  },
  check: searchReplaceProblems,
  fromFlume(properties) {
    const out = renameFlumeKeys(properties, {});
    if (typeof properties.charset === 'string') out.charset = CHARSETS[properties.charset.toLowerCase()] ?? properties.charset;
    return out;
  },
  create: (config, ctx: ComponentContext) => new SearchReplaceInterceptor(config, ctx.name),
});
