/** The studio's entry: a hash router over three pages, with sign-in when the session is missing. */
import { ApiError } from './api.js';
import { batchPage } from './batch.js';
import { h } from './dom.js';
import { loginPage } from './login.js';
import { productionPage } from './production.js';
import { productionsPage } from './productions.js';

const root = document.getElementById('app')!;
let leave: (() => void) | undefined;

async function route(): Promise<void> {
  leave?.();
  leave = undefined;
  const [page, id] = location.hash.replace(/^#\/?/, '').split('/');
  try {
    if (page === 'p' && id) leave = productionPage(root, decodeURIComponent(id));
    else if (page === 'b' && id) await batchPage(root, decodeURIComponent(id));
    else await productionsPage(root);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) loginPage(root);
    else root.replaceChildren(h('p', { class: 'error' }, String(err)));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
