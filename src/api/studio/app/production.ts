/**
 * The production page: a grid of scenes (first and last frame, prompt, state, take, cost) with what can be done to
 * each (play, approve, reject with a note, retry with an edited prompt or another provider, skip), the final video,
 * and live updates from the event stream. A card is rebuilt only when its scene changed, so a note being typed
 * survives the updates of other scenes.
 */
import { api, ApiError } from './api.js';
import { h, usd } from './dom.js';
import type { Production, Scene } from './types.js';

export function productionPage(root: HTMLElement, id: string): () => void {
  const base = `/v1/productions/${id}`;
  const header = h('div', { id: 'production-header' });
  const player = h('video', { id: 'player', controls: true, preload: 'metadata', hidden: true });
  const grid = h('div', { id: 'scenes', class: 'grid' });
  const log = h('ol', { id: 'events', class: 'events' });
  const notice = h('p', { id: 'notice', class: 'error' });
  root.replaceChildren(header, notice, player, grid, h('h2', {}, 'Events'), log);
  const cards = new Map<string, { key: string; el: HTMLElement }>();

  const act = async (path: string, body: unknown = {}) => {
    notice.textContent = '';
    try {
      await api(`${base}${path}`, { method: 'POST', body });
    } catch (err) {
      notice.textContent = err instanceof ApiError ? err.message : String(err);
    }
  };
  const play = (url: string, poster?: string) => {
    player.hidden = false;
    player.src = url;
    if (poster) player.poster = poster;
    void player.play().catch(() => undefined);
  };

  const render = (p: Production) => {
    header.replaceChildren(
      h('h1', {}, p.title),
      h(
        'p',
        {},
        h('span', { class: `state ${p.state}`, id: 'production-state' }, p.state.replaceAll('_', ' ')),
        ` · ${Math.round(p.percent)}% · ${usd(p.costUsd)} of ${usd(p.estimatedCostUsd)} estimated`,
        p.message ? ` · ${p.message}` : '',
      ),
      h(
        'p',
        { class: 'actions' },
        p.outputs.video
          ? h('button', { id: 'play-final', onclick: () => play(p.outputs.video!, p.outputs.poster) }, '▶ Final video')
          : null,
        p.outputs.contactSheet ? h('a', { href: p.outputs.contactSheet, target: '_blank' }, 'contact sheet') : null,
        p.state === 'running' ? h('button', { onclick: () => void act('/cancel') }, 'Cancel') : null,
        p.state === 'waiting_for_operator' ? h('button', { onclick: () => void act('/abort') }, 'Abort') : null,
      ),
    );
    for (const s of p.scenes) {
      const key = JSON.stringify([s.state, s.take, s.clip?.sha256, s.reason?.message, s.costUsd]);
      const old = cards.get(s.id);
      if (old?.key === key) continue;
      const el = sceneCard(s, act, play);
      if (old) old.el.replaceWith(el);
      else grid.append(el);
      cards.set(s.id, { key, el });
    }
  };

  void api<Production>(base).then(render, (err: unknown) => (notice.textContent = String(err)));
  const events = new EventSource(`${base}/events`);
  events.addEventListener('progress', (e) => render(JSON.parse((e as MessageEvent<string>).data) as Production));
  for (const type of [
    'scene.ready',
    'scene.needs_review',
    'scene.failed',
    'scene.skipped',
    'production.waiting_for_operator',
    'production.completed',
    'production.failed',
    'production.cancelled',
  ])
    events.addEventListener(type, (e) => {
      const ev = JSON.parse((e as MessageEvent<string>).data) as {
        type: string;
        sceneId?: string;
        take?: number;
        at: string;
        reason?: { message: string };
      };
      log.prepend(
        h(
          'li',
          {},
          `${new Date(ev.at).toLocaleTimeString()} ${ev.type}${ev.sceneId ? ` ${ev.sceneId} (take ${ev.take})` : ''}${ev.reason ? `: ${ev.reason.message}` : ''}`,
        ),
      );
    });
  events.addEventListener('end', () => events.close());
  return () => events.close();
}

function sceneCard(s: Scene, act: (path: string, body?: unknown) => Promise<void>, play: (url: string) => void): HTMLElement {
  const path = `/scenes/${s.id}`;
  const thumbs = s.clip
    ? h(
        'div',
        { class: 'thumbs' },
        h('img', { class: 'frame first', src: s.clip.firstFrameUrl, alt: `${s.id} first frame`, title: 'first frame' }),
        h('img', { class: 'frame last', src: s.clip.lastFrameUrl, alt: `${s.id} last frame`, title: 'last frame' }),
      )
    : h('div', { class: 'thumbs empty' }, s.state === 'failed' ? 'failed' : 'no clip yet');
  const controls = h('div', { class: 'controls' });
  if (s.clip) controls.append(h('button', { class: 'play', onclick: () => play(s.clip!.url) }, '▶ Play'));
  if (s.state === 'awaiting_review') {
    const note = h('textarea', { class: 'note', placeholder: 'What should change?', rows: 2 });
    controls.append(
      h('button', { class: 'approve', onclick: () => void act(`${path}/approve`) }, 'Approve'),
      note,
      h(
        'button',
        { class: 'reject', onclick: () => note.value.trim() && void act(`${path}/reject`, { note: note.value.trim() }) },
        'Reject',
      ),
    );
  }
  if (s.state === 'failed') {
    const prompt = h('textarea', { class: 'prompt-edit', rows: 3 }, s.prompt);
    const provider = h('input', { class: 'provider', value: s.provider, size: 12 });
    const model = h('input', { class: 'model', value: s.model, size: 16 });
    controls.append(
      prompt,
      h('label', {}, 'provider ', provider),
      h('label', {}, ' model ', model),
      h(
        'button',
        {
          class: 'retry',
          onclick: () =>
            void act(`${path}/retry`, {
              ...(prompt.value.trim() !== s.prompt ? { prompt: prompt.value.trim() } : {}),
              ...(provider.value.trim() !== s.provider ? { provider: provider.value.trim() } : {}),
              ...(model.value.trim() !== s.model ? { model: model.value.trim() } : {}),
            }),
        },
        'Retry',
      ),
      h('button', { class: 'skip', onclick: () => void act(`${path}/skip`) }, 'Skip'),
    );
  }
  return h(
    'article',
    { class: `scene ${s.state}`, 'data-scene': s.id, 'data-state': s.state, 'data-take': s.take },
    h(
      'header',
      {},
      h('strong', {}, `${s.index + 1}. ${s.title}`),
      ' ',
      h('span', { class: `state ${s.state}` }, s.state.replaceAll('_', ' ')),
    ),
    thumbs,
    h('p', { class: 'prompt' }, s.prompt),
    h(
      'p',
      { class: 'meta' },
      `take ${s.take} · ${s.provider}/${s.model} · ${usd(s.costUsd)}${s.cached ? ' · from cache' : ''}`,
      s.rejectedTakes.length ? ` · rejected: ${s.rejectedTakes.map((t) => `take ${t.take} (“${t.note}”)`).join(', ')}` : '',
    ),
    s.reason ? h('p', { class: 'error' }, `${s.reason.kind}: ${s.reason.message}`) : null,
    controls,
  );
}
