// photos.js: a visit's photos. Each is shrunk (long side ≤ 1600 px), stamped (time, place, customer) and
// stored with a thumbnail when it is chosen (db.js `photos`), so saving the visit only lists its id. Once the
// mutation listing it has its receipt, `upload()` PUTs it, one at a time across tabs, and keeps the thumbnail
// only. `gallery()` shows a visit's photos from this phone, else from the server; `release()` revokes the
// blob URLs of the screen being left.
import * as db from './db.js';
import { peek } from './outbox.js';
import { fetchFile, NetworkError } from './api.js';
import { emit } from './events.js';
import { h } from './ui.js';
import { t } from './i18n.js';
import { isoWithOffset } from './time.js';

const MAX = 9;
const FINAL = new Set([200, 201, 413, 415, 422]);   // the server's last word on these bytes

const surface = (width, height) => (typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height)
  : Object.assign(document.createElement('canvas'), { width, height }));
const jpeg = (c, quality) => (c.convertToBlob ? c.convertToBlob({ type: 'image/jpeg', quality })
  : new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', quality)));

/** The stamp: when, where (or "no position") and at which customer. */
export const stamp = (position, customer) => [`${isoWithOffset().replace('T', ' ')}  ${position
  ? `${position.lat.toFixed(5)}, ${position.lon.toFixed(5)}` : t('photo.noplace')}`, customer || ''];

/** `{blob, thumb}`: the image shrunk to `side` px with the stamp on a band at its bottom, and a 240 px copy.
 * Rejects when the browser cannot decode the file, whatever its name says. (Decoding at a smaller size with
 * createImageBitmap's resize options was no faster in Chromium: bench/README.md.) */
async function shrink(file, lines, side = 1600) {
  const source = await createImageBitmap(file);
  const k = Math.min(1, side / Math.max(source.width, source.height));
  const c = surface(Math.round(source.width * k), Math.round(source.height * k));
  const { width, height } = c;
  const g = c.getContext('2d');
  g.drawImage(source, 0, 0, width, height);
  source.close();
  const size = Math.max(12, Math.round(Math.max(width, height) / 45));
  const band = Math.round(size * (1.35 * lines.length + 0.6));
  g.fillStyle = 'rgba(0,0,0,.55)';
  g.fillRect(0, height - band, width, band);
  g.fillStyle = '#fff';
  g.font = `${size}px sans-serif`;
  g.textBaseline = 'top';
  lines.forEach((line, i) => g.fillText(line, size / 2, height - band + size * (0.3 + 1.35 * i), width - size));
  const small = surface(Math.round(width * 240 / side), Math.round(height * 240 / side));
  small.getContext('2d').drawImage(c, 0, 0, small.width, small.height);
  return { blob: await jpeg(c, 0.8), thumb: await jpeg(small, 0.7) };
}

const urls = [];
const url = (blob) => { const u = URL.createObjectURL(blob); urls.push(u); return u; };

export function release() {
  for (const u of urls.splice(0)) URL.revokeObjectURL(u);
  document.querySelector('.viewer')?.click();
}

/** The visit form's photos: take (camera or files), see, remove. `lines()` is the stamp at the moment a
 * photo is taken; `ids()` resolves once every chosen photo is stored. */
export function picker(lines, initial = []) {
  const kept = [];
  const list = h('div', { class: 'photos' });
  const message = h('p', { class: 'error', 'data-test': 'photo-error', role: 'alert' });
  const show = (record) => {
    kept.push(record.id);
    const item = h('span', { class: 'photo', 'data-test': 'visit-photo', 'data-id': record.id },
      h('img', { src: url(record.thumb), alt: '' }),
      h('button', { type: 'button', class: 'photo-remove', 'data-test': 'photo-remove', 'aria-label': t('photo.remove'),
        onclick: () => { kept.splice(kept.indexOf(record.id), 1); item.remove(); db.savePhotos([], [record.id]); } }, '×'));
    list.append(item);
  };
  const take = async (file) => {
    const start = performance.now();
    let record;
    try {
      record = { id: crypto.randomUUID(), visit_id: null, at: Date.now(), state: 'new', ...(await shrink(file, lines())) };
    } catch {
      message.textContent = t('photo.bad', file.name);   // not an image: nothing is kept
      return;
    }
    await db.savePhotos([record]);
    performance.measure('fieldgoal-photo', { start });
    show(record);
  };
  let busy = Promise.all(initial.map(db.photo)).then((records) => records.filter(Boolean).forEach(show));
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true,
    'data-test': 'visit-photos', onchange: () => {
      const files = [...input.files];
      input.value = '';
      message.textContent = '';
      busy = busy.then(async () => {
        for (const file of files) {
          if (kept.length >= MAX) { message.textContent = t('photo.max', MAX); break; }
          await take(file);
        }
      });
    } });
  // Photos of a form left without saving go a day later.
  db.photos().then((all) => db.savePhotos([], all.filter((p) => !p.visit_id && p.at < Date.now() - 864e5).map((p) => p.id)));
  return {
    node: h('div', { class: 'field' }, h('span', {}, t('visit.photos', MAX)), list,
      h('label', { class: 'btn btn-wide' }, input, t('photo.add')), message),
    ids: () => busy.then(() => [...kept]),
  };
}

/** Photos waiting to be uploaded (each counts as unsent work). */
export const unsent = async () => (await db.photos()).filter((p) => p.state === 'waiting').length;

let failures = 0;
let retry;
let running = null;

/** Uploads what waits, unless an upload runs already (in any tab); sync.js calls it after each flush. */
export function upload() {
  const run = () => send().catch((error) => console.error('photo upload failed', error));
  if (navigator.locks) return navigator.locks.request('fieldgoal-photos', { ifAvailable: true }, (lock) => lock && run());
  return (running ||= run().finally(() => { running = null; }));
}

async function send() {
  const later = new Set();   // 404: no visit on the server lists it yet; again after the next sync
  for (;;) {
    const { token } = await db.getMeta('token');
    // The server knows an id only once the mutation listing it has its receipt.
    const listed = new Set((await peek()).flatMap((m) => (m.entity === 'visit' && m.fields?.photos) || []));
    const next = (await db.photos()).find((p) => p.state === 'waiting' && !listed.has(p.id) && !later.has(p.id));
    if (!next || !token) return;
    let status = 0;
    try {
      ({ status } = await fetchFile(`/api/v1/attachments/${next.id}`, { token, body: next.blob, timeoutMs: 120000 }));
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
    if (status === 404) { later.add(next.id); continue; }
    if (status === 401 || status === 403) return;   // sync asks for the password; its next flush calls again
    if (!FINAL.has(status)) {                       // no network, or the server in trouble: backoff
      clearTimeout(retry);
      retry = setTimeout(upload, Math.min(3e5, 2000 * 2 ** failures++) * (0.5 + Math.random() / 2));
      return;
    }
    failures = 0;
    const { blob: _sent, ...kept } = next;
    await db.savePhotos([{ ...kept, state: status < 300 ? 'sent' : 'failed' }]);
    if (status >= 300) emit('notice', { key: 'photo.failed' });
    emit('queue');
  }
}

/** A photo's bytes: this phone's copy, else the server's (once arrived), else the thumbnail. */
async function picture(id, arrived, thumb) {
  const local = await db.photo(id);
  const kept = thumb ? local?.thumb : local?.blob;
  if (kept || !arrived) return kept || local?.thumb;
  const { token } = await db.getMeta('token');
  const got = await fetchFile(`/api/v1/attachments/${id}${thumb ? '?size=thumb' : ''}`, { token, cache: 'default' })
    .catch(() => ({}));
  return got.blob || local?.thumb;
}

/** The photo full size over the screen; a tap closes it. */
async function open(id, arrived) {
  const blob = await picture(id, arrived, false);
  if (!blob) return;
  document.querySelector('.viewer')?.click();
  const src = URL.createObjectURL(blob);
  const viewer = h('div', { class: 'viewer', 'data-test': 'photo-full', onclick: () => { viewer.remove(); URL.revokeObjectURL(src); } },
    h('img', { src, alt: '' }));
  document.body.append(viewer);
}

/** A visit's photos as thumbnails, full size on tap, and "photos uploading (n)" while the server has fewer
 * than the visit lists; null when it has none. */
export function gallery(visit) {
  const ids = visit.photos || [];
  const arrived = new Set(visit.photos_arrived || []);
  const missing = ids.filter((id) => !arrived.has(id)).length;
  return ids.length ? h('div', { class: 'photos', 'data-test': 'photo-gallery' },
    ids.map((id) => {
      const img = h('img', { alt: '' });
      picture(id, arrived.has(id), true).then((blob) => { if (blob) img.src = url(blob); });
      const button = h('button', { type: 'button', class: 'photo', 'data-test': 'photo-thumb', 'data-id': id,
        'aria-label': t('photo.open'), onclick: (event) => { event.preventDefault(); open(id, arrived.has(id)); } }, img);
      db.photo(id).then((p) => { if (p?.state === 'failed') { button.classList.add('failed'); button.title = t('photo.failed'); } });
      return button;
    }),
    missing ? h('small', { class: 'hint', 'data-test': 'photo-uploading' }, t('photo.uploading', missing)) : null) : null;
}
