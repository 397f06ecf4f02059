import { Composer, isMap, isPair, isScalar, isSeq, LineCounter, Parser, type CST, type Document } from 'yaml';
import type { Problem } from './problem.js';

/** Deepest nesting of YAML collections a topology may have; a real one is under ten deep. */
export const MAX_YAML_DEPTH = 100;

/** What {@link readYamlDocument} found: the document, or the problems that stop reading. */
export interface YamlReading {
  document?: Document.Parsed;
  lineCounter: LineCounter;
  problems: Problem[];
}

/**
 * Parses one YAML document (unique keys; one document per file). Collections nested deeper than
 * {@link MAX_YAML_DEPTH} are refused from the concrete syntax tree, which the yaml parser builds
 * without recursion, before they are composed: composing recursion thousands deep would
 * overflow the stack and take hundreds of milliseconds to say so. Syntax errors come back as
 * problems (the first three: one mistake cascades), each with its line and column.
 */
export function readYamlDocument(text: string): YamlReading {
  const lineCounter = new LineCounter();
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const depth = cstDepth(tokens);
  if (depth > MAX_YAML_DEPTH) {
    return { lineCounter, problems: [{ path: '', message: `YAML collections are nested more than ${MAX_YAML_DEPTH} levels deep`, hint: 'a topology is a few levels deep: agents, an agent, a section, a component, its options' }] };
  }
  let document: Document.Parsed | undefined;
  const problems: Problem[] = [];
  // Unique keys are checked below with a set per map: the yaml library compares each key with
  // every earlier one, quadratic in a section of thousands of components.
  for (const doc of new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)) {
    if (!document) document = doc;
    else {
      const { line, col } = lineCounter.linePos(doc.range[0]);
      problems.push({ path: '', message: `line ${line}, column ${col}: a topology file holds one YAML document; this is a second one`, hint: 'delete the --- line and what follows, or split the file' });
      break;
    }
  }
  const errors = [...document!.errors.map((e) => ({ at: e.pos[0], message: e.message })), ...duplicateKeys(document!)].sort((a, b) => a.at - b.at);
  for (const error of errors.slice(0, 3 - problems.length).reverse()) {
    const { line, col } = lineCounter.linePos(error.at);
    problems.unshift({ path: '', message: `line ${line}, column ${col}: ${error.message.split('\n')[0]}`, hint: 'fix the YAML syntax' });
  }
  return { document, lineCounter, problems };
}

/**
 * Keys written twice in one mapping (scalars equal in type and value, as the yaml library
 * compares them) and keys that are collections, by offset.
 */
function duplicateKeys(document: Document.Parsed): { at: number; message: string }[] {
  const found: { at: number; message: string }[] = [];
  const stack: unknown[] = [document.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
          if (seen.has(id)) found.push({ at: pair.key.range?.[0] ?? 0, message: 'Map keys must be unique' });
          seen.add(id);
        } else if (isMap(pair.key) || isSeq(pair.key)) {
          // The yaml library would turn it into text (and print a process warning); no topology key is a collection.
          found.push({ at: pair.key.range?.[0] ?? 0, message: 'a mapping key must be a name, not a list or mapping' });
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(isPair(item) ? item.value : item);
    }
  }
  return found;
}

type Item = { start?: unknown; key?: CST.Token | null; sep?: unknown; value?: CST.Token };

/** The deepest nesting of collections in a CST, walked with an explicit stack. */
function cstDepth(tokens: readonly CST.Token[]): number {
  let deepest = 0;
  const stack: [CST.Token | null | undefined, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (!token) continue;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_YAML_DEPTH) return deepest;
    switch (token.type) {
      case 'document':
        stack.push([token.value, depth]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        for (const item of token.items as Item[]) {
          stack.push([item.key, depth + 1]);
          stack.push([item.value, depth + 1]);
        }
        break;
      default:
        break;
    }
  }
  return deepest;
}
