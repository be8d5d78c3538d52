import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { expect, it } from 'vitest';
import { PanelBoundary } from './PanelBoundary';

it("shows a panel's render error in that panel, its title kept, instead of its children", () => {
  const boundary = new PanelBoundary({ title: 'Filters', children: createElement('p', null, 'weights') });
  expect(renderToStaticMarkup(boundary.render() as ReactElement)).toBe('<p>weights</p>');
  boundary.state = PanelBoundary.getDerivedStateFromError(new RangeError('the colour map got NaN'));
  const html = renderToStaticMarkup(boundary.render() as ReactElement);
  expect(html).toContain('<h2>Filters</h2>');
  expect(html).toContain(
    'This panel could not be drawn: the colour map got NaN. The rest of the page works.',
  );
  expect(PanelBoundary.getDerivedStateFromError('thrown text').error.message).toBe('thrown text');
});
