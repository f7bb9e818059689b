// session.js: who is signed in on this phone. The sync `client_id` belongs to one install AND one user
// (SYNC.md): a different user signing in gets a fresh client_id, replica and queue; the same user signing in
// again after a 401 keeps them, so nothing queued is lost.
import { getMeta, setMeta, forgetUser } from './db.js';
import { call } from './api.js';
import { forget as forgetPush } from './push.js';

export async function current() {
  return getMeta('token', 'user', 'client_id');
}

/** POST /api/v1/auth/login; resolves with the API answer, and on success stores the session. */
export async function signIn(email, password) {
  const answer = await call('POST', '/api/v1/auth/login', { body: { email, password } });
  if (answer.ok && answer.data?.token) {
    const { user: previous, client_id: clientId } = await getMeta('user', 'client_id');
    const sameUser = previous && previous.id === answer.data.user.id && clientId;
    if (!sameUser) {
      await forgetUser();
      await setMeta({ client_id: crypto.randomUUID(), next_mid: 1, cursor: null });
    }
    await setMeta({ token: answer.data.token, user: { ...answer.data.user, must_change_password: answer.data.must_change_password } });
  }
  return answer;
}

/** PATCH /api/v1/me with the current password; on success the stored user no longer must change it. */
export async function changePassword(currentPassword, password) {
  const { token, user } = await getMeta('token', 'user');
  const answer = await call('PATCH', '/api/v1/me', { token, body: { current_password: currentPassword, password } });
  if (answer.ok) await setMeta({ user: { ...user, ...answer.data } });
  return answer;
}

/** The language the user chose on this phone, kept by the server too (it writes their notices in it). The
 * choice waits in meta (`locale_unsent`) until the server has it: offline, signed out or with the token
 * refused, sendLocale() sends it again when the network is back, at the next start and after signing in. */
export async function saveLocale(locale) {
  await setMeta({ locale_unsent: locale });
  return sendLocale();
}

let sending = null;

/** PATCH /api/v1/me {locale} with the choice still unsent, if any; one at a time, the latest choice last. */
export function sendLocale() {
  sending ||= (async () => {
    try {
      for (;;) {
        const { token, user, locale_unsent: locale } = await getMeta('token', 'user', 'locale_unsent');
        if (!token || !user || !locale) return;
        const answer = locale === user.locale ? { ok: true }
          : await call('PATCH', '/api/v1/me', { token, body: { locale }, timeoutMs: 10000 }).catch(() => null);
        if (!answer || [401, 408, 426, 429].includes(answer.status) || answer.status >= 500) return; // kept
        const now = await getMeta('user', 'locale_unsent');
        // A refusal (a language the server does not know) is final; a newer choice goes in the next turn.
        await setMeta({
          ...(answer.ok ? { user: { ...now.user, locale } } : {}),
          ...(now.locale_unsent === locale ? { locale_unsent: undefined } : {}),
        });
        if (now.locale_unsent === locale) return;
      }
    } finally {
      sending = null;
    }
  })();
  return sending;
}

/** The token stopped working (401): keep the user, queue and replica; only ask for the password again. */
export function tokenRejected() {
  return setMeta({ token: undefined });
}

/** Signing out forgets everything of this user on the phone (shared phones); the queue too, so the view
 * asks first when something is unsent. */
export async function signOut() {
  const { token } = await getMeta('token');
  if (token) {
    await forgetPush(token);
    call('POST', '/api/v1/auth/logout', { token, timeoutMs: 5000 }).catch(() => {});
  }
  await forgetUser();
}
