import { ApiSession } from './api-session.js';
import { layoutMap } from './embedding-map-layout.js';

// The map of stream embeddings: GET /api/embeddings gives, per pipeline, every stream's recurrent
// state projected to 2-D (PCA); streams that behave alike sit together. Drawn as SVG dots coloured
// by pipeline (fitted streams, the cold start's sources, ringed); a click opens the stream
// (#/streams/<key>, which app.js follows). Its own button and panel, so the rest of the page is
// untouched; the layout is embedding-map-layout.js.

const SVG = 'http://www.w3.org/2000/svg';

function draw(svg, maps, width, height) {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  maps.forEach((m, i) => {
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', String((i * width) / maps.length + 8));
    label.setAttribute('y', '14');
    label.setAttribute('class', 'map-label');
    label.textContent = `${m.pipeline} (${m.points.length})`;
    svg.append(label);
  });
  for (const p of layoutMap(maps, width, height, 20)) {
    const dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('cx', p.cx.toFixed(1));
    dot.setAttribute('cy', p.cy.toFixed(1));
    dot.setAttribute('r', '5');
    dot.setAttribute('fill', p.colour);
    dot.setAttribute('class', p.fitted ? 'map-dot map-fitted' : 'map-dot');
    dot.dataset.key = p.key;
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `${p.key}${p.fitted ? ' (fitted)' : ''}`;
    dot.append(title);
    dot.addEventListener('click', () => {
      location.hash = `#/streams/${encodeURIComponent(p.key)}`;
      panel.hidden = true;
    });
    svg.append(dot);
  }
}

const session = new ApiSession(() => undefined);
const panel = document.createElement('div');
panel.id = 'embedding-map';
panel.className = 'map-panel';
panel.hidden = true;
const svg = document.createElementNS(SVG, 'svg');
svg.setAttribute('class', 'map-svg');
panel.append(svg);
document.querySelector('.layout')?.append(panel);

const button = document.createElement('button');
button.id = 'map-button';
button.className = 'map-button';
button.textContent = 'map';
button.title = 'Map of the stream embeddings';
button.addEventListener('click', async () => {
  panel.hidden = !panel.hidden;
  if (panel.hidden) return;
  try {
    const { maps } = await session.getJson('/api/embeddings');
    draw(svg, maps, 900, 520);
  } catch (err) {
    if (err?.name !== 'AuthRequired') console.warn('Embedding map failed.', err);
  }
});
document.querySelector('.topbar-right')?.prepend(button);
