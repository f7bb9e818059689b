// api.js: the one place that talks HTTP to the server. Answers come back whatever their status (callers
// decide what a 401 or a 413 means); only a failure to reach the server throws, as NetworkError.

export class NetworkError extends Error {}

/** `{status, ok, data, headers}` for one request; `data` is the parsed JSON body (or null). */
export async function call(method, path, { body, token, timeoutMs = 30000 } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal, cache: 'no-store', credentials: 'omit',
    });
  } catch (error) {
    throw new NetworkError(error?.message || 'network');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try { data = await response.json(); } catch { /* empty or not JSON */ }
  return { status: response.status, ok: response.ok, data, headers: response.headers };
}

/** The `rel="next"` target of a `Link` header (RFC 8288), or null: where the next page of a list is. */
export function nextLink(headers) {
  const header = headers?.get('Link');
  if (!header) return null;
  for (const [, target, params] of header.matchAll(/<([^>]*)>([^,]*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]*)"?/i.exec(params);
    if (rel && rel[1].toLowerCase().split(/\s+/).includes('next')) return target;
  }
  return null;
}

// Far more than any list a screen shows; a server that linked on for ever would otherwise never answer.
const MAX_PAGES = 200;

/** A GET of a list answered a page at a time (`limit`, and the next page in `Link: <…>; rel="next"`),
 *  returned whole: `call`'s answer with `data` the pages joined. The first answer that is not a list (an
 *  error) is returned as it is. Links are followed on this origin only: the token goes nowhere else. */
export async function callAll(path, options = {}) {
  let answer = await call('GET', path, options);
  let address = new URL(path, self.location.href);
  const rows = [];
  for (let page = 0; answer.ok && Array.isArray(answer.data); page += 1) {
    rows.push(...answer.data);
    const next = nextLink(answer.headers);
    if (!next || page + 1 >= MAX_PAGES) return { ...answer, data: rows };
    address = new URL(next, address);
    if (address.origin !== self.location.origin) return { ...answer, data: rows };
    answer = await call('GET', address.pathname + address.search, options);
  }
  return answer;
}

/** `{status, ok, blob}` for a file (a report's SVG, CSV or XLSX, a photo): the same request, the body kept as
 * bytes. With `body` (a Blob) it is a PUT of those bytes with their type instead (a visit's photo), no blob. */
export async function fetchFile(path, { token, timeoutMs = 30000, body, cache = 'no-store' } = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  if (body) headers['Content-Type'] = body.type;
  try {
    const response = await fetch(path, { method: body ? 'PUT' : 'GET', body, headers, signal: abort.signal,
      cache, credentials: 'omit' });
    return { status: response.status, ok: response.ok, blob: response.ok && !body ? await response.blob() : null };
  } catch (error) {
    throw new NetworkError(error?.message || 'network');
  } finally {
    clearTimeout(timer);
  }
}

/** The human message of a problem-details answer, if it has one. */
export function problemMessage(data) {
  return data?.errors?.[0]?.message || data?.detail || data?.title || '';
}
