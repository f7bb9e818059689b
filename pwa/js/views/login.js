// views/login.js: sign in (POST /api/v1/auth/login). After a 401 the same user signs in again and keeps
// everything still queued on the phone.
import { h, field } from '../ui.js';
import { t, getLocale } from '../i18n.js';
import { signIn } from '../session.js';
import { NetworkError, problemMessage } from '../api.js';

// Each language named in itself, so whoever cannot read the screen's language still finds theirs.
const LANGUAGES = [['zh-CN', '中文'], ['en', 'English']];
let typedEmail = ''; // what was typed survives the screen being redrawn in another language

export async function render(_params, ctx) {
  const email = h('input', { type: 'email', autocomplete: 'username', 'data-test': 'login-email', required: true,
    value: ctx.user?.email || typedEmail, oninput: (e) => { typedEmail = e.target.value; } });
  const languages = h('div', { class: 'langs', role: 'group', 'aria-label': t('login.language') },
    ...LANGUAGES.map(([code, name]) => h('button', {
      type: 'button', class: 'btn btn-quiet', lang: code, 'data-test': 'login-lang', 'data-locale': code,
      'aria-pressed': String(getLocale() === code), onclick: () => ctx.setLocale(code), // the one shown, tapped, is a choice too
    }, name)));
  const password = h('input', { type: 'password', autocomplete: 'current-password', 'data-test': 'login-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', 'data-test': 'login-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-wide', 'data-test': 'login-submit' }, t('login.submit'));
  const onsubmit = async (event) => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const answer = await signIn(email.value.trim(), password.value);
      if (answer.ok) return ctx.signedIn({ ...answer.data.user, must_change_password: answer.data.must_change_password });
      if (answer.status === 429) {
        error.textContent = t('login.locked', Math.ceil((Number(answer.headers.get('Retry-After')) || 60) / 60));
      } else {
        error.textContent = answer.status === 401 ? t('login.bad') : problemMessage(answer.data) || t('login.bad');
      }
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      error.textContent = t('login.offline');
    } finally {
      submit.disabled = false;
    }
  };
  return h('form', { class: 'screen form login', onsubmit, novalidate: true }, languages,
    h('img', { src: `/static/icons/icon-192.png?v=${ctx.version}`, alt: '', width: 72, height: 72 }),
    h('h1', {}, `${t('app.name')}`),
    ctx.user ? h('p', { class: 'card' }, t('login.again')) : null,
    field(t('login.email'), email), field(t('login.password'), password), error, submit);
}
