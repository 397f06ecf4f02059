import { expect } from 'chai';
import { substituteEnv, type Problem } from '@sluice/config';
import { fc, fuzzTarget } from '@sluice/testkit';
import { assertProblems, REGRESSIONS } from './config-fuzz-support.js';

const PARTS = ['${', '}', '$', '$${', ':-', 'env:', 'A', 'B', 'Z', '_', '1', 'constructor', 'toString', '__proto__', ' ', 'x', '.', ':'];
const text = fc.array(fc.constantFrom(...PARTS), { maxLength: 40 }).map((parts) => parts.join(''));
const env = fc.dictionary(fc.constantFrom('A', 'B', 'C'), fc.oneof(text, fc.constantFrom('5', '1e400', '9'.repeat(400), 'true', '')), { maxKeys: 3 });

/** A nesting depth: mostly shallow, one case in ten thousands deep (deeper than a recursive walk survives). */
const deep = fc.oneof({ arbitrary: fc.nat({ max: 20 }), weight: 9 }, { arbitrary: fc.integer({ min: 5000, max: 8000 }), weight: 1 });

/** The scalars of a document, walked without recursion (it may be nested thousands deep). */
function leaves(value: unknown): unknown[] {
  const out: unknown[] = [];
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item !== null && typeof item === 'object') stack.push(...Object.values(item));
    else out.push(item);
  }
  return out;
}

/**
 * `${VAR}`, `${VAR:-default}` (defaults nested too) and `$${` in YAML values: whatever the text
 * and the environment, substitution returns a value with every unset variable as a problem at
 * the value's path. It never throws or overflows the stack, never renders an Object.prototype
 * member (`${constructor}`), never turns digits into Infinity, and a text without `${` is kept.
 */
describe('YAML ${VAR} substitution @fuzz', () => {
  it('gives a value and problems with paths, never an exception or a prototype member', async () => {
    await fuzzTarget('env-substitution', [text, env, deep, deep], (value, vars, nesting, listDepth) => {
      const deepDefault = `${'${Z:-'.repeat(nesting)}x${'}'.repeat(nesting)}`;
      // A value inside lists nested listDepth deep: the walk must not recurse per level.
      let doc: unknown = { agents: { a: { v: value, d: deepDefault } } };
      for (let i = 0; i < listDepth; i++) doc = [doc];
      const problems: Problem[] = [];
      const out = substituteEnv(doc, vars, problems, []);
      assertProblems(problems, 'substituteEnv');
      for (const leaf of leaves(out)) {
        if (typeof leaf === 'number') expect(Number.isFinite(leaf), `${leaf} is finite`).to.equal(true);
        else if (typeof leaf === 'string') expect(leaf).not.to.contain('[native code]');
        else expect(['boolean', 'undefined']).to.include(typeof leaf);
      }
      if (!value.includes('${')) {
        let inner = out;
        for (let i = 0; i < listDepth; i++) inner = (inner as unknown[])[0];
        expect((inner as { agents: { a: { v: unknown } } }).agents.a.v).to.equal(value);
      }
    }, { regressions: REGRESSIONS });
  });
});
