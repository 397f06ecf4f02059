import { expect } from 'chai';
import { EventQueue } from '../src/index.js';

describe('EventQueue', () => {
  it('keeps FIFO order across growth, shifts and unshifts', () => {
    const queue = new EventQueue<number>();
    const all = Array.from({ length: 5000 }, (_, i) => i);
    queue.pushAll(all.slice(0, 3000));
    const taken = queue.shiftMany(1500);
    queue.pushAll(all.slice(3000));
    queue.unshiftAll(taken);
    expect(queue.length).to.equal(5000);
    expect(queue.shiftMany(10000)).to.deep.equal(all);
    expect(queue.shiftMany(1)).to.deep.equal([]);
  });
});
