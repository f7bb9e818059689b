// coaching.js: the online-only coaching, rewards and report calls (reviews, a plan's actions, the commission
// estimate, a report and its files). These are not sync mutations: a lead's review and a rep's acknowledgement go straight to the
// server, and the screens say so when the phone is offline. The last estimate is kept in `meta`
// (`commission_estimate`, with the time it was fetched) so the rep still sees it offline; likewise the last
// statement shown (`commission_statement`).
import { getMeta, setMeta } from './db.js';
import { call, callAll, fetchFile, problemMessage, NetworkError } from './api.js';
import * as session from './session.js';
import { flush } from './sync.js';

/** `{ok, status, data, message, offline}` for one authenticated call; never throws. */
export async function request(method, path, body) {
  if (!navigator.onLine) return { ok: false, offline: true, status: 0, data: null, message: '' };
  const { token } = await getMeta('token');
  try {
    const answer = await call(method, path, { body, token, timeoutMs: 15000 });
    if (answer.status === 401) await session.tokenRejected();
    return { ...answer, message: problemMessage(answer.data), offline: false };
  } catch (error) {
    if (error instanceof NetworkError) return { ok: false, offline: true, status: 0, data: null, message: '' };
    throw error;
  }
}

/** Like `request('GET', path)` for a list: every page of it, following `Link` rel=next (api.js `callAll`). */
export async function requestAll(path) {
  if (!navigator.onLine) return { ok: false, offline: true, status: 0, data: null, message: '' };
  const { token } = await getMeta('token');
  try {
    const answer = await callAll(path, { token, timeoutMs: 15000 });
    if (answer.status === 401) await session.tokenRejected();
    return { ...answer, message: problemMessage(answer.data), offline: false };
  } catch (error) {
    if (error instanceof NetworkError) return { ok: false, offline: true, status: 0, data: null, message: '' };
    throw error;
  }
}

/** `{ok, status, blob, offline}` for a file the server makes (a report's SVG, CSV or XLSX); never throws. */
export async function requestFile(path) {
  if (!navigator.onLine) return { ok: false, offline: true, status: 0, blob: null };
  const { token } = await getMeta('token');
  try {
    const answer = await fetchFile(path, { token, timeoutMs: 30000 });
    if (answer.status === 401) await session.tokenRejected();
    return { ...answer, offline: false };
  } catch (error) {
    if (error instanceof NetworkError) return { ok: false, offline: true, status: 0, blob: null };
    throw error;
  }
}

export const listReviews = () => requestAll('/api/v1/reviews');
export const getReview = (id) => request('GET', `/api/v1/reviews/${encodeURIComponent(id)}`);
export const openReview = (repId, period) => request('POST', '/api/v1/reviews', { rep_id: repId, period });
export const saveReview = (id, ratings, comments) =>
  request('PATCH', `/api/v1/reviews/${encodeURIComponent(id)}`, { ratings, comments });
export const shareReview = (id) => request('POST', `/api/v1/reviews/${encodeURIComponent(id)}/share`);
export const getPlan = (id) => request('GET', `/api/v1/plans/${encodeURIComponent(id)}`);

/** The rep acknowledges a shared review; on success a sync brings the acknowledged review into the replica. */
export async function acknowledgeReview(id, comment) {
  const answer = await request('POST', `/api/v1/reviews/${encodeURIComponent(id)}/acknowledge`, comment ? { comment } : {});
  if (answer.ok) await flush({ manual: true }).catch(() => {});
  return answer;
}

/** The cached estimate: `{data, fetched_at}` (`data.missing` set: no estimate, and why: `commission_plan` or
 * `revenue_goal`) or `{error, fetched_at}` (a refusal's code; an older app cached `no_commission_plan` and
 * `no_revenue_goal` so), or undefined. */
export async function cachedEstimate() {
  return (await getMeta('commission_estimate')).commission_estimate;
}

/** Asks the server for the estimate (online) and caches the answer; resolves with the cache either way. */
export async function refreshEstimate() {
  const answer = await request('GET', '/api/v1/commissions/estimate');
  if (answer.ok) {
    await setMeta({ commission_estimate: { data: answer.data, fetched_at: new Date().toISOString() } });
  } else if (!answer.offline && answer.status >= 400 && answer.status < 500 && answer.status !== 401) {
    await setMeta({ commission_estimate: { error: answer.data?.code || answer.message || String(answer.status),
      fetched_at: new Date().toISOString() } });
  }
  return { cached: await cachedEstimate(), offline: answer.offline };
}

/** The last statement shown: `{data, period, fetched_at}`, or undefined. */
export async function cachedStatement() {
  return (await getMeta('commission_statement')).commission_statement;
}

/** The rep's statement for a period (default: this month): `{ok, offline, data, message}`; cached when ok. */
export async function fetchStatement(period) {
  const query = period ? `?period=${encodeURIComponent(period)}` : '';
  const answer = await request('GET', `/api/v1/commissions/statements${query}`);
  if (answer.ok) {
    await setMeta({ commission_statement: { data: answer.data, period: period || '', fetched_at: new Date().toISOString() } });
  }
  return answer;
}

// ---- the lead's and manager's desks (online; each list keeps its last copy for offline reading) ----------

const enc = encodeURIComponent;

/** `?a=1&b=2` of the non-empty values of `query`. */
export function queryString(query = {}) {
  const pairs = Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return pairs.length ? `?${new URLSearchParams(pairs)}` : '';
}

/** A GET whose last good answer is kept in `meta` (per path): offline, the answer carries that copy as
 *  `data` with `cachedAt`, so a screen can show it marked with its time instead of nothing. A list comes
 *  whole (every page) unless `onePage`: then only the first, as the path's `limit` asks. */
export async function readKept(path, { onePage = false } = {}) {
  const key = `kept:${path}`;
  const answer = onePage ? await request('GET', path) : await requestAll(path);
  if (answer.ok) {
    await setMeta({ [key]: { data: answer.data, fetched_at: new Date().toISOString() } });
  } else if (answer.offline) {
    const kept = (await getMeta(key))[key];
    if (kept) return { ...answer, data: kept.data, cachedAt: kept.fetched_at };
  }
  return answer;
}

export const closeReview = (id) => request('POST', `/api/v1/reviews/${enc(id)}/close`);

export const listPlans = (query) => readKept(`/api/v1/plans${queryString(query)}`);
export const planSuggestions = () => readKept('/api/v1/plans/suggestions');
export const readPlan = (id) => readKept(`/api/v1/plans/${enc(id)}`);
export const openPlan = (body) => request('POST', '/api/v1/plans', body);
export const addAction = (planId, body) => request('POST', `/api/v1/plans/${enc(planId)}/actions`, body);
export const updateAction = (planId, actionId, body) =>
  request('PATCH', `/api/v1/plans/${enc(planId)}/actions/${enc(actionId)}`, body);
export const closePlan = (planId, body) => request('POST', `/api/v1/plans/${enc(planId)}/close`, body);

export const dimensions = (unitId) => readKept(`/api/v1/review-dimensions${queryString({ unit_id: unitId })}`);
export const setDimension = (body) => request('POST', '/api/v1/review-dimensions', body);

export const deskVisits = (query) => readKept(`/api/v1/visits${queryString(query)}`);
export const reviewVisits = (decisions) => request('POST', '/api/v1/visits/review', { decisions });

// The trail is read newest first, one page of it (the screen asks for its `limit`): it only ever grows.
export const auditTrail = (query) => readKept(`/api/v1/audit${queryString(query)}`, { onePage: true });

export const commissionPlans = () => readKept('/api/v1/commissions/plans');
export const createCommissionPlan = (body) => request('POST', '/api/v1/commissions/plans', body);
export const updateCommissionPlan = (id, body) => request('PATCH', `/api/v1/commissions/plans/${enc(id)}`, body);
