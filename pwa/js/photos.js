// photos.js: sending a visit's photos. The visit form stores each photo (db.js `photos`, views/photos.js)
// and saving lists its id in the visit; once the mutation listing it has its receipt, `upload()` PUTs it, one
// at a time and one uploader across tabs, and keeps its thumbnail only. sync.js calls it after each flush.
import * as db from './db.js';
import { peek, rejected } from './outbox.js';
import { fetchFile, NetworkError } from './api.js';
import { emit } from './events.js';

const FINAL = new Set([200, 201, 413, 415, 422]);   // the server's last word on these bytes

/** Photos waiting to be uploaded (each counts as unsent work). */
export const unsent = async () => (await db.photos()).filter((p) => p.state === 'waiting').length;

let failures = 0;
let retry;
let running = null;

/** Uploads what waits, unless an upload runs already (in any tab); says `arrived` when some did. */
export function upload() {
  const run = () => send().then((sent) => { if (sent) emit('arrived'); })
    .catch((error) => console.error('photo upload failed', error));
  if (navigator.locks) return navigator.locks.request('fieldgoal-photos', { ifAvailable: true }, (lock) => lock && run());
  return (running ||= run().finally(() => { running = null; }));
}

async function send() {
  // A sent photo's thumbnail stays a month (the visit's screen reads it offline), then the server's is used.
  const old = (await db.photos()).filter((p) => p.state === 'sent' && p.at < Date.now() - 30 * 864e5);
  if (old.length) await db.savePhotos([], old.map((p) => p.id));
  const later = new Set();   // 404: no visit on the server lists it yet; again after the next sync
  let sent = 0;
  for (;;) {
    const { token } = await db.getMeta('token');
    // The server knows an id only once the mutation listing it has its receipt.
    const listed = new Set((await peek()).flatMap((m) => (m.entity === 'visit' && m.fields?.photos) || []));
    const next = (await db.photos()).find((p) => p.state === 'waiting' && !listed.has(p.id) && !later.has(p.id));
    if (!next || !token) return sent;
    let status = 0;
    try {
      ({ status } = await fetchFile(`/api/v1/attachments/${next.id}`, { token, body: next.blob, timeoutMs: 120000 }));
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
    if (status === 404) {
      // Its visit is gone (a deleted draft, a refused create the rep dismissed): it will never be listed.
      // (Looked up now: a visit saved meanwhile has queued its create by the time the answer is back.)
      // Or an edit that added it to a visit approved meanwhile became an amendment, and the lead refused it.
      const gone = (m) => m.id !== next.visit_id && m.mutation?.id !== next.visit_id;
      const visit = await db.get('visit', next.visit_id);
      if (visit ? !(await refusedOnly(visit, next.id)) : !(await peek()).every(gone) || !(await rejected()).every(gone)) {
        later.add(next.id);
      } else {
        await db.savePhotos([], [next.id]);
        emit('queue');
      }
      continue;
    }
    if (status === 401 || status === 403) return sent;  // sync asks for the password; its next flush calls again
    if (!FINAL.has(status)) {                           // no network, or the server in trouble: backoff
      clearTimeout(retry);
      retry = setTimeout(upload, Math.min(3e5, 2000 * 2 ** failures++) * (0.5 + Math.random() / 2));
      return sent;
    }
    failures = 0;
    const { blob: _sent, ...kept } = next;
    await db.savePhotos([{ ...kept, state: status < 300 ? 'sent' : 'failed' }]);
    if (status >= 300) emit('notice', { key: 'photo.failed' }); else sent++;
    emit('queue');
  }
}

/** Whether the only proposal that listed photo `id` for `visit` was an amendment its lead refused: the visit
 * does not list it, no pending amendment, queued edit or refused edit the rep may send again does. */
async function refusedOnly(visit, id) {
  if ((visit.photos || []).includes(id)) return false;
  const lists = (fields) => (fields?.photos || []).includes(id);
  const mine = (await db.all('amendment')).filter((a) => a.visit_id === visit.id && lists(a.fields));
  if (!mine.some((a) => a.status === 'refused') || mine.some((a) => a.status === 'pending')) return false;
  return (await peek()).every((m) => !lists(m.fields)) && (await rejected()).every((r) => !lists(r.mutation?.fields));
}
