import { expect } from 'chai';
import { createEvent } from '@sluice/core';
import { HeaderTemplate, headerTemplateError } from '../src/header-template.js';

describe('HeaderTemplate (partition key templates)', () => {
  it('renders literal text and %{header} escapes; a missing header renders empty', () => {
    const template = new HeaderTemplate('app-%{service}/%{host}%{missing}');
    expect(template.render(createEvent('x', { service: 'web', host: 'h1' }))).to.equal('app-web/h1');
    expect(template.constant).to.equal(false);
    expect(new HeaderTemplate('fixed').render(createEvent('x'))).to.equal('fixed');
    expect(new HeaderTemplate('fixed').constant).to.equal(true);
  });

  it('reports an unclosed or empty escape', () => {
    expect(headerTemplateError('%{host')).to.match(/unclosed or empty/);
    expect(headerTemplateError('a-%{}')).to.match(/unclosed or empty/);
    expect(headerTemplateError('%{host}-%{app}')).to.equal(undefined);
  });
});
