/** The batch page: counts, cost and every item with its state. */
import { api } from './api.js';
import { age, h, usd } from './dom.js';
import type { Batch, BatchItem } from './types.js';

export async function batchPage(root: HTMLElement, id: string): Promise<void> {
  const [b, { items }] = await Promise.all([api<Batch>(`/v1/batches/${id}`), api<{ items: BatchItem[] }>(`/v1/batches/${id}/items`)]);
  root.replaceChildren(
    h('h1', {}, `Batch ${b.batchId}`),
    h(
      'p',
      { id: 'batch-summary' },
      h('span', { class: `state ${b.state}` }, b.state),
      ` · ${b.total} items · ${Object.entries(b.counts)
        .filter(([, n]) => n)
        .map(([k, n]) => `${n} ${k.replaceAll('_', ' ')}`)
        .join(', ')} · ${usd(b.costUsd)} · started ${age(b.startedAt)}`,
    ),
    h(
      'table',
      { id: 'batch-items' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Item'), h('th', {}, 'State'), h('th', {}, 'Scenes ready'), h('th', {}, 'Cost'))),
      h(
        'tbody',
        {},
        ...items.map((it) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/p/${it.productionId}` }, it.key)),
            h('td', {}, h('span', { class: `state ${it.state}` }, it.state.replaceAll('_', ' '))),
            h('td', {}, `${it.scenes.ready} / ${it.scenes.total}`),
            h('td', {}, usd(it.costUsd)),
          ),
        ),
      ),
    ),
  );
}
