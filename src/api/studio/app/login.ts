/** Sign in with an API key: the server answers with a session cookie (the key is not kept in the page). */
import { h } from './dom.js';

export function loginPage(root: HTMLElement, message = ''): void {
  const input = h('input', { type: 'password', name: 'key', placeholder: 'sr_…', autocomplete: 'off', size: 60 });
  const status = h('p', { class: 'error', id: 'login-error' }, message);
  const form = h(
    'form',
    {
      id: 'login',
      onsubmit: (e) => {
        e.preventDefault();
        void fetch('/studio/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key: input.value }),
        }).then(async (res) => {
          if (res.ok) location.reload();
          else status.textContent = ((await res.json()) as { message: string }).message;
        });
      },
    },
    h('h1', {}, 'storyreel studio'),
    h('p', {}, 'Sign in with an API key (create one with ', h('code', {}, 'storyreel keys create'), ').'),
    input,
    ' ',
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  root.replaceChildren(form);
}
