// push.js: Web Push sign-up, only ever from a tap (browsers refuse or penalise permission prompts that
// come from nowhere). The service worker shows what arrives and re-subscribes on pushsubscriptionchange.
import { call } from './api.js';
import { getMeta, setMeta } from './db.js';

export const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** Resolves with 'on', 'denied', 'unsupported' or 'failed'. Call only from a click handler. */
export async function enable() {
  if (!supported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'denied';
  try {
    const answer = await call('GET', '/api/v1/push/vapid-public-key');
    if (!answer.ok || !answer.data?.key) return 'failed';
    const registration = await navigator.serviceWorker.ready;
    let subscription = await registration.pushManager.getSubscription();
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(answer.data.key) });
    }
    return (await register(subscription)) ? 'on' : 'failed';
  } catch (error) {
    console.warn('push subscribe failed', error);
    return error?.name === 'NotAllowedError' ? 'denied' : 'failed';
  }
}

async function register(subscription) {
  const { token } = await getMeta('token');
  const json = subscription.toJSON();
  const answer = await call('POST', '/api/v1/push/subscriptions', { token, body: { endpoint: json.endpoint, keys: json.keys } });
  if (answer.ok) await setMeta({ push_endpoint: json.endpoint });
  return answer.ok;
}

/** At start: an existing subscription whose endpoint the server has not been told about is sent again. */
export async function refresh() {
  if (!supported() || Notification.permission !== 'granted') return;
  try {
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    const { push_endpoint: known } = await getMeta('push_endpoint');
    if (subscription && subscription.endpoint !== known) await register(subscription);
  } catch { /* offline: next start */ }
}

/** Signing out on a shared phone: the server stops sending this user's pushes here, and the browser's
 * subscription ends, so the next user's app asks afresh and never shows the previous user's nudges. */
export async function forget(token) {
  if (!supported()) return;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    const subscription = await registration?.pushManager.getSubscription();
    if (!subscription) return;
    await call('DELETE', '/api/v1/push/subscriptions', { token, body: { endpoint: subscription.endpoint }, timeoutMs: 5000 }).catch(() => {});
    await subscription.unsubscribe();
  } catch { /* offline: the server drops the endpoint when the push service answers 410 */ }
}

export async function state() {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ? 'on' : 'off';
}
