import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { renderDocs } from 'sluice';

const docsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');

describe('generated docs', () => {
  it('docs/components.md and docs/errors.md match the schemas and the error registry (run npm run docs)', async () => {
    const docs = await renderDocs(docsDir);
    for (const [name, content] of Object.entries(docs)) {
      expect(readFileSync(path.join(docsDir, name), 'utf8'), `${name} is out of date: run npm run docs`).to.equal(content);
    }
  });
});
