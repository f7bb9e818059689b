// views/photos.js: a visit's photos on screen. The form's picker shrinks each photo (long side ≤ 1600 px),
// stamps it and stores it with a thumbnail when it is chosen (db.js `photos`), so saving the visit only lists
// its id (js/photos.js uploads it). `gallery()` shows a visit's photos from this phone, else from the server.
import * as db from '../db.js';
import { fetchFile } from '../api.js';
import { on, bus } from '../events.js';
import { h } from '../ui.js';
import { t } from '../i18n.js';
import { isoWithOffset } from '../time.js';

const MAX = 9;

const surface = (width, height) => (typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height)
  : Object.assign(document.createElement('canvas'), { width, height }));
const jpeg = (c, quality) => (c.convertToBlob ? c.convertToBlob({ type: 'image/jpeg', quality })
  : new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', quality)));

export const stamp = (position, customer) => [`${isoWithOffset().replace('T', ' ')}  ${position
  ? `${position.lat.toFixed(5)}, ${position.lon.toFixed(5)}` : t('photo.noplace')}`, customer || ''];

/** `{blob, thumb}`: the image shrunk, `lines` on a band at its bottom, and a 240 px copy. Rejects when the
 * file does not decode, whatever its name says. (createImageBitmap's resize options were no faster.) */
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
// A new screen: the blob URLs of the one left go (images already drawn stay drawn), and an open photo.
on('screen', () => {
  for (const u of urls.splice(0)) URL.revokeObjectURL(u);
  document.querySelector('.viewer')?.click();
});

/** The form's photos: take, see, remove. `lines()` is the stamp when a photo is taken; `ids()` resolves
 * once every chosen photo is stored. Given a saved `visit`, its photos show first (as `gallery` does), each
 * with a remove button: `ids()` is then what the visit will list, `added()` the photos taken here and
 * `removed()` the visit's photos taken off it, whose copies on this phone go once the edit is saved. */
export function picker(lines, initial = [], visit = null) {
  const kept = [];
  const listed = [...(visit?.photos || [])];
  const dropped = [];
  const shown = visit ? gallery(visit, (id) => { listed.splice(listed.indexOf(id), 1); dropped.push(id); }) : null;
  const list = shown || h('div', { class: 'photos' });   // taken ones join the visit's in one row
  const message = h('p', { class: 'error', 'data-test': 'photo-error', role: 'alert' });
  const show = (record) => {
    kept.push(record.id);
    const item = h('span', { class: 'photo', 'data-test': 'visit-photo', 'data-id': record.id },
      h('img', { src: url(record.thumb), alt: '' }),
      h('button', { type: 'button', class: 'photo-remove', 'data-test': 'photo-remove', 'aria-label': t('photo.remove'),
        onclick: () => { kept.splice(kept.indexOf(record.id), 1); item.remove(); db.savePhotos([], [record.id]); } }, '×'));
    list.insertBefore(item, list.querySelector('small'));   // before the gallery's "uploading", if any
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
          if (listed.length + kept.length >= MAX) { message.textContent = t('photo.max', MAX); break; }
          await take(file);
        }
      });
    } });
  // Photos of a form left unsaved go a day later.
  db.photos().then((all) => db.savePhotos([], all.filter((p) => !p.visit_id && p.at < Date.now() - 864e5).map((p) => p.id)));
  return {
    node: h('div', { class: 'field' }, h('span', {}, t('visit.photos', MAX)), list,
      h('label', { class: 'btn btn-wide' }, input, t('photo.add')), message),
    ids: () => busy.then(() => [...listed, ...kept]),
    added: () => busy.then(() => [...kept]),
    removed: () => [...dropped],
  };
}

/** A photo's bytes: this phone's copy, else the server's once arrived, else the thumbnail. */
async function picture(id, arrived, thumb) {
  const local = await db.photo(id);
  const kept = thumb ? local?.thumb : local?.blob;
  if (kept || !arrived) return kept || local?.thumb;
  const { token } = await db.getMeta('token');
  const got = await fetchFile(`/api/v1/attachments/${id}${thumb ? '?size=thumb' : ''}`, { token, cache: 'default' })
    .catch(() => ({}));
  return got.blob || local?.thumb;
}

async function open(id, arrived) {
  const blob = await picture(id, arrived, false);
  if (!blob) return;
  document.querySelector('.viewer')?.click();
  const src = URL.createObjectURL(blob);
  const viewer = h('div', { class: 'viewer', 'data-test': 'photo-full', onclick: () => { viewer.remove(); URL.revokeObjectURL(src); } },
    h('img', { src, alt: '' }));
  document.body.append(viewer);
}

/** A visit's photos as thumbnails (full size on tap), "photos uploading (n)" while the server has fewer than
 * the visit lists, and on the rep's phone which ones the server refused; null when it has none. It keeps up
 * while shown: when a sync brings the visit's `photos_arrived` or an upload ends, the count and the marks
 * follow without the screen being drawn again. With `remove`, each thumbnail has a remove button that takes
 * it off the screen and tells `remove(id)` (the visit form's edit). */
export function gallery(visit, remove = null) {
  const ids = visit.photos || [];
  let arrived = new Set(visit.photos_arrived || []);
  const uploading = h('small', { class: 'hint', 'data-test': 'photo-uploading', hidden: true });
  const failed = h('small', { class: 'error', 'data-test': 'photo-failed', hidden: true }, t('photo.failed'));
  const thumbs = new Map();
  const paint = async () => {
    const states = await Promise.all([...thumbs.keys()].map((id) => db.photo(id).then((p) => [id, p?.state])));
    const refused = states.filter(([, state]) => state === 'failed').map(([id]) => id);
    // A photo this phone uploaded has arrived, whether or not a sync has said so yet.
    for (const [id, state] of states) if (state === 'sent') arrived.add(id);
    for (const [id, thumb] of thumbs) thumb.classList.toggle('failed', refused.includes(id));
    const missing = [...thumbs.keys()].filter((id) => !arrived.has(id) && !refused.includes(id)).length;
    uploading.textContent = t('photo.uploading', missing);
    uploading.hidden = !missing;
    failed.hidden = !refused.length;
  };
  const item = (id) => {
    const img = h('img', { alt: '' });
    picture(id, arrived.has(id), true).then((blob) => { if (blob) img.src = url(blob); });
    const show = (event) => { event.preventDefault(); open(id, arrived.has(id)); };
    if (!remove) {
      const button = h('button', { type: 'button', class: 'photo', 'data-test': 'photo-thumb', 'data-id': id,
        'aria-label': t('photo.open'), onclick: show }, img);
      thumbs.set(id, button);
      return button;
    }
    // A button cannot hold another: the picture opens on a tap of the image, the corner button removes it.
    Object.assign(img, { tabIndex: 0, onclick: show,
      onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') show(event); } });
    img.setAttribute('role', 'button');
    img.setAttribute('aria-label', t('photo.open'));
    const thumb = h('span', { class: 'photo', 'data-test': 'photo-thumb', 'data-id': id }, img,
      h('button', { type: 'button', class: 'photo-remove', 'data-test': 'photo-remove', 'aria-label': t('photo.remove'),
        onclick: () => { thumb.remove(); thumbs.delete(id); remove(id); paint(); } }, '×'));
    thumbs.set(id, thumb);
    return thumb;
  };
  if (!ids.length) return null;
  const node = h('div', { class: 'photos', 'data-test': 'photo-gallery' }, ids.map(item), uploading, failed);
  paint();
  // A sync that brought the visit again (its photos arrived) or an upload that ended: the marks follow.
  const made = Date.now();
  const follow = async () => {
    if (!node.isConnected) {
      // Gone from the screen (or never put on it: a render that lost a race).
      if (Date.now() - made > 5000) { bus.removeEventListener('data', follow); bus.removeEventListener('queue', follow); }
      return;
    }
    const now = visit.id && await db.get('visit', visit.id);
    if (now) arrived = new Set(now.photos_arrived || []);
    paint();
  };
  bus.addEventListener('data', follow);
  bus.addEventListener('queue', follow);
  return node;
}
