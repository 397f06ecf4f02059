import { expect } from 'chai';
import { LineSplitter } from '../src/index.js';

const text = (lines: Buffer[]): string[] => lines.map((l) => l.toString());

describe('LineSplitter', () => {
  it('splits on newline, strips a trailing CR, and keeps a partial line for the next chunk', () => {
    const splitter = new LineSplitter(100);
    expect(text(splitter.push(Buffer.from('a\r\nb\npar')).lines)).to.deep.equal(['a', 'b']);
    expect(text(splitter.push(Buffer.from('tial\n')).lines)).to.deep.equal(['partial']);
    expect(splitter.flush()).to.equal(undefined);
  });

  it('cuts a line at maxLineLength, discards the rest of it, and counts it', () => {
    const splitter = new LineSplitter(4);
    const first = splitter.push(Buffer.from('abcdefgh'));
    expect(text(first.lines)).to.deep.equal(['abcd']);
    expect(first.truncated).to.equal(1);
    const second = splitter.push(Buffer.from('ij\nok\n'));
    expect(text(second.lines)).to.deep.equal(['ok']);
  });

  it('returns the unterminated last line on flush', () => {
    const splitter = new LineSplitter(10);
    splitter.push(Buffer.from('x\ntail'));
    expect(splitter.flush()?.toString()).to.equal('tail');
  });
});
