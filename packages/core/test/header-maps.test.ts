import { expect } from 'chai';
import { createEvent, createHeaders, HEADER_MAP_PROTOTYPE, isHeaderMap } from '../src/index.js';

describe('header maps', () => {
  it('inherit nothing: __proto__ and constructor are ordinary headers, absent names are undefined', () => {
    const headers = createHeaders();
    expect(headers.constructor).to.equal(undefined);
    expect(headers.toString).to.equal(undefined);
    expect('hasOwnProperty' in headers).to.equal(false);
    headers['__proto__'] = 'p';
    headers[String('constructor')] = 'c';
    expect(Object.keys(headers)).to.deep.equal(['__proto__', 'constructor']);
    expect(headers['__proto__']).to.equal('p');
    expect(Object.getPrototypeOf(headers)).to.equal(HEADER_MAP_PROTOTYPE);
    expect(JSON.stringify(headers)).to.equal('{"__proto__":"p","constructor":"c"}');
  });

  it('have a prototype that nobody can give names to', () => {
    expect(Object.getPrototypeOf(HEADER_MAP_PROTOTYPE)).to.equal(null);
    expect(Object.isFrozen(HEADER_MAP_PROTOTYPE)).to.equal(true);
    expect(Reflect.ownKeys(HEADER_MAP_PROTOTYPE)).to.deep.equal([]);
    expect(() => { (HEADER_MAP_PROTOTYPE as Record<string, string>).host = 'x'; }).to.throw(TypeError);
  });

  it('copy the own entries of a plain object, a __proto__ key included', () => {
    const from = JSON.parse('{"__proto__":"x","a":"1","2":"two"}') as Record<string, string>;
    const headers = createHeaders(from);
    expect(isHeaderMap(headers)).to.equal(true);
    expect({ ...headers }).to.deep.equal({ ...from });
    expect(headers['__proto__']).to.equal('x');
    headers.a = 'changed';
    expect(from.a).to.equal('1');
  });

  it('are told apart from objects that inherit', () => {
    expect(isHeaderMap(createHeaders())).to.equal(true);
    expect(isHeaderMap(Object.create(null) as object)).to.equal(true);
    const Own = function Own(this: Record<string, string>, host: string) { this.host = host; } as unknown as new (host: string) => Record<string, string>;
    Own.prototype = HEADER_MAP_PROTOTYPE;
    expect(isHeaderMap(new Own('h'))).to.equal(true);
    expect(isHeaderMap({})).to.equal(false);
    expect(isHeaderMap(Object.create({}) as object)).to.equal(false);
  });

  it('are what createEvent gives an event, keeping a header map it is handed', () => {
    const given = createHeaders({ a: '1' });
    expect(createEvent('x', given).headers).to.equal(given);
    const copied = createEvent('x', { a: '1' }).headers;
    expect(isHeaderMap(copied)).to.equal(true);
    expect(copied).to.deep.equal({ a: '1' });
  });
});
