/** The productions page: poster, title, state, progress, cost and age of each production. */
import { api } from './api.js';
import { age, h, usd } from './dom.js';
import type { Listed, Production } from './types.js';

export async function productionsPage(root: HTMLElement): Promise<void> {
  const { productions } = await api<{ productions: Listed[] }>('/v1/productions?limit=100');
  const rows = await Promise.all(productions.map((l) => api<Production>(l.url).catch(() => undefined)));
  const table = h(
    'table',
    { id: 'productions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        h('th', {}, 'Production'),
        h('th', {}, 'State'),
        h('th', {}, 'Progress'),
        h('th', {}, 'Cost'),
        h('th', {}, 'Started'),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map((p, i) => {
        const l = productions[i]!;
        return h(
          'tr',
          { 'data-production': l.productionId },
          h(
            'td',
            {},
            p?.outputs.poster ? h('img', { class: 'poster', src: p.outputs.poster, alt: '' }) : h('div', { class: 'poster none' }),
          ),
          h('td', {}, h('a', { href: `#/p/${l.productionId}` }, p?.title ?? l.productionId), h('div', { class: 'muted' }, l.productionId)),
          h('td', {}, h('span', { class: `state ${p?.state ?? l.state}` }, (p?.state ?? l.state).replaceAll('_', ' '))),
          h('td', {}, h('progress', { max: 100, value: Math.round(p?.percent ?? 0) }), ` ${Math.round(p?.percent ?? 0)}%`),
          h('td', {}, p ? usd(p.costUsd) : ''),
          h('td', {}, age(l.startTime)),
        );
      }),
    ),
  );
  root.replaceChildren(h('h1', {}, 'Productions'), productions.length ? table : h('p', {}, 'No productions yet.'));
}
