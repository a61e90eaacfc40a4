// The gateway's APIs as the page uses them: one fetch wrapper (API key, problem+json errors).
const KEY_STORE = 'carecircle.apiKey';
export const root = document.body.dataset.root || '';

export function apiKey() {
  return localStorage.getItem(KEY_STORE) || '';
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORE, key);
  else localStorage.removeItem(KEY_STORE);
}

/** An answer other than 2xx; `problem` is the RFC 9457 body when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function headers(extra) {
  const out = { Accept: 'application/json', ...extra };
  const key = apiKey();
  if (key) out['X-API-Key'] = key;
  return out;
}

async function send(path, { method = 'GET', body, accept } = {}) {
  const init = { method, headers: headers(accept ? { Accept: accept } : {}) };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(root + path, init);
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, problem);
  }
  return response;
}

/** GET (or another method with `body`) and parse JSON. */
export async function api(path, options = {}) {
  return (await send(path, options)).json();
}

/** The answer as a Blob, to hand to the user as a download. */
export async function apiBlob(path, options = {}) {
  return (await send(path, options)).blob();
}

/** Every page of a cursor-paged list (`items`, `next_cursor`), up to `maxPages`. */
export async function allPages(path, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const sep = path.includes('?') ? '&' : '?';
    const answer = await api(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    items.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** Offer `blob` as a file download named `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
