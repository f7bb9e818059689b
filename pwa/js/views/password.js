// views/password.js: choose one's own password (PATCH /api/v1/me with the current one). Shown at once after
// signing in with a password someone else set (`must_change_password`), and from Me at any time.
import { h, field } from '../ui.js';
import { t } from '../i18n.js';
import { changePassword } from '../session.js';
import { NetworkError, problemMessage } from '../api.js';

export async function render(_params, ctx) {
  const forced = Boolean(ctx.user?.must_change_password);
  const current = h('input', { type: 'password', autocomplete: 'current-password', 'data-test': 'password-current', required: true });
  const next = h('input', { type: 'password', autocomplete: 'new-password', 'data-test': 'password-new', required: true, minlength: 10 });
  const again = h('input', { type: 'password', autocomplete: 'new-password', 'data-test': 'password-again', required: true });
  const error = h('p', { class: 'error', role: 'alert', 'data-test': 'password-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-wide', 'data-test': 'password-submit' }, t('password.submit'));
  const onsubmit = async (event) => {
    event.preventDefault();
    error.textContent = '';
    if (next.value !== again.value) { error.textContent = t('password.mismatch'); return; }
    submit.disabled = true;
    try {
      const answer = await changePassword(current.value, next.value);
      if (answer.ok) return ctx.passwordChanged(answer.data);
      error.textContent = answer.status === 429 ? t('login.locked', Math.ceil((Number(answer.headers.get('Retry-After')) || 60) / 60))
        : problemMessage(answer.data) ? `${t(`password.field.${answer.data?.errors?.[0]?.field}`)} ${problemMessage(answer.data)}` : t('coach.failed');
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      error.textContent = t('password.offline');
    } finally {
      submit.disabled = false;
    }
  };
  return h('form', { class: 'screen form', onsubmit, novalidate: true, 'data-test': 'password-form' },
    h('h1', {}, t('password.title')),
    forced ? h('p', { class: 'card', 'data-test': 'password-forced' }, t('password.forced')) : null,
    h('p', { class: 'hint' }, t('password.rule')),
    field(t('password.current'), current), field(t('password.new'), next), field(t('password.again'), again), error, submit);
}
