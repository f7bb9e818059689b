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

/** `{status, ok, blob}` for a file (a report's SVG, CSV or XLSX): the same request, the body kept as bytes. */
export async function fetchFile(path, { token, timeoutMs = 30000 } = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: abort.signal, cache: 'no-store', credentials: 'omit' });
    return { status: response.status, ok: response.ok, blob: response.ok ? await response.blob() : null };
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
