// model.js: what the screens read and do, in business words. Reads combine the replica (the server's truth)
// with the user's own queued mutations, shown as provisional (`pending: true`) until the server sends them
// back in `changes`; the replica itself is never written here. Writes queue mutations (outbox.add) and
// nothing else, so logging a visit offline is one IndexedDB transaction.
import * as db from './db.js';
import * as outbox from './outbox.js';
import { queued } from './sync.js';
import { isoWithOffset } from './time.js';

export const OUTCOMES = ['follow_up', 'interested', 'not_interested', 'ordered'];
export const VISIT_FIELDS = ['customer_id', 'outcome', 'satisfaction', 'notes', 'next_follow_up_on'];
const ACTION_STATUS = { submit: 'submitted', approve: 'approved', reject: 'rejected', accept: 'accepted', refuse: 'refused' };

/** Records of `entity` from the replica with the queued mutations laid over them, in queue order. */
async function overlaid(entity, queue) {
  const byId = new Map((await db.all(entity)).map((r) => [r.id, r]));
  for (const m of queue || await outbox.peek()) {
    if (m.entity !== entity) continue;
    const current = byId.get(m.id);
    if (m.op === 'create') byId.set(m.id, { ...m.fields, id: m.id, version: 0, status: entity === 'visit' ? 'draft' : entity === 'customer' ? 'prospect' : undefined, pending: true, local: true });
    else if (m.op === 'delete') byId.delete(m.id);
    else if (current && m.op === 'update') byId.set(m.id, { ...current, ...m.fields, pending: true });
    else if (current && m.op === 'action') {
      const patch = { pending: true };
      if (ACTION_STATUS[m.name]) patch.status = ACTION_STATUS[m.name];
      if (m.name === 'read') patch.read_at = m.args?.at || new Date().toISOString();
      if (m.name === 'advance') patch.stage = m.args?.stage;
      byId.set(m.id, { ...current, ...patch });
    }
  }
  return [...byId.values()];
}

export const visits = (queue) => overlaid('visit', queue);
export const customers = (queue) => overlaid('customer', queue);
export const notifications = (queue) => overlaid('notification', queue);
export const amendments = (queue) => overlaid('amendment', queue);
export const opportunities = (queue) => overlaid('opportunity', queue);
export const replica = (entity) => db.all(entity);
export const record = (entity, id) => db.get(entity, id);
export const pendingCount = () => outbox.count();
export const queue = () => outbox.peek();
export const rejected = () => outbox.rejected();
export const dismissRejected = (key) => outbox.dismiss(key);

async function enqueue(...mutations) {
  const mids = await outbox.add(...mutations);
  queued();
  return mids;
}

/** Logs a visit: optionally a won deal first (an opportunity `create` and an `advance` to won, so the visit
 * can point at it), then the visit `create`, then its `submit`. A record this phone just created is at
 * version 1 when the server applies it, so the actions that follow carry base_version 1. */
export async function logVisit({ customerId, checkInAt, position, outcome, satisfaction, notes, nextFollowUpOn,
  wonAmount, dealTitle, submit }) {
  const mutations = [];
  const visitId = crypto.randomUUID();
  const fields = { customer_id: customerId, check_in_at: checkInAt || isoWithOffset(), outcome, satisfaction, notes };
  if (nextFollowUpOn) fields.next_follow_up_on = nextFollowUpOn;
  if (position) Object.assign(fields, { lat: position.lat, lon: position.lon, accuracy_m: position.accuracy_m });
  if (wonAmount) {
    const opportunityId = crypto.randomUUID();
    mutations.push({ entity: 'opportunity', op: 'create', id: opportunityId,
      fields: { customer_id: customerId, title: dealTitle, amount: wonAmount } });
    mutations.push({ entity: 'opportunity', op: 'action', id: opportunityId, name: 'advance', base_version: 1,
      args: { stage: 'won', at: isoWithOffset() } });
    fields.opportunity_id = opportunityId;
  }
  mutations.push({ entity: 'visit', op: 'create', id: visitId, fields });
  if (submit) mutations.push({ entity: 'visit', op: 'action', id: visitId, name: 'submit', base_version: 1, args: {} });
  await enqueue(...mutations);
  return visitId;
}

/** An edit of a synced visit: only the changed fields, on the version in the replica (SYNC.md rule 5). */
export async function editVisit(id, changes, { submit = false } = {}) {
  const synced = await db.get('visit', id);
  if (!synced) throw new Error('visit not synced');
  const fields = {};
  const base = {};
  for (const [name, value] of Object.entries(changes)) {
    if ((synced[name] ?? null) !== (value ?? null)) { fields[name] = value; base[name] = synced[name] ?? null; }
  }
  const mutations = [];
  if (Object.keys(fields).length) {
    mutations.push({ entity: 'visit', op: 'update', id, base_version: synced.version, fields, base });
  }
  if (submit) mutations.push({ entity: 'visit', op: 'action', id, name: 'submit', base_version: synced.version, args: {} });
  if (mutations.length) await enqueue(...mutations);
  return mutations.length;
}

export async function deleteVisit(id) {
  const synced = await db.get('visit', id);
  await enqueue({ entity: 'visit', op: 'delete', id, base_version: synced.version });
}

export async function addCustomer(fields) {
  const id = crypto.randomUUID();
  await enqueue({ entity: 'customer', op: 'create', id, fields });
  return id;
}

/** A lead's review of visits: one `approve` per visit, each on the version the lead looked at. */
export async function approveVisits(records) {
  await enqueue(...records.map((v) => ({ entity: 'visit', op: 'action', id: v.id, name: 'approve',
    base_version: v.version, args: {} })));
}

export async function rejectVisit(v, comment) {
  await enqueue({ entity: 'visit', op: 'action', id: v.id, name: 'reject', base_version: v.version, args: { comment } });
}

export async function decideAmendment(a, accept) {
  await enqueue({ entity: 'amendment', op: 'action', id: a.id, name: accept ? 'accept' : 'refuse',
    base_version: a.version, args: {} });
}

export async function markRead(notificationIds) {
  await enqueue(...notificationIds.map((id) => ({ entity: 'notification', op: 'action', id, name: 'read', args: {} })));
}

/** Sends a refused update or action again as a NEW mutation, on the version the replica has now. */
export async function resend(receipt) {
  const { mid: _mid, ...mutation } = receipt.mutation;
  const synced = mutation.id ? await db.get(mutation.entity, mutation.id) : null;
  if ('base_version' in mutation && synced) mutation.base_version = synced.version;
  await enqueue(mutation);
  await outbox.dismiss(receipt.key);
}
