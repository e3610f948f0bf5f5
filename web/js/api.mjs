// The one way a page talks to /api/v1 (docs/api.md): JSON in and out, the
// session cookie sent by the browser, the CSRF token on every change.
// A reply that is not 2xx throws an ApiError carrying the API's own
// sentence and field, for form.mjs to show. On a signed-in page, a session
// that has ended sends the person to sign in and back (app.mjs).

let csrfToken = null;
const listeners = [];

// The session's CSRF token, from POST or GET /session.
export function setCsrf(token) {
  csrfToken = token;
}

// fn(status, error) is told of every reply, to notice an ended session or
// a gate (app.mjs) and to restart the idle clock.
export function onReply(fn) {
  listeners.push(fn);
}

export class ApiError extends Error {
  constructor(status, error, body) {
    super(error?.message ?? `The server answered ${status}; try again.`);
    this.status = status;
    this.code = error?.code ?? "unknown";
    this.field = error?.field ?? null;
    this.body = body ?? null;
  }
}

// Creating requests (SPEC D3: no duplicates from a retry). The same create
// sent again while the first is still on its way (a double click) shares
// the first's reply: one request. Each carries an Idempotency-Key; when the
// server could not be reached, the key is kept, so trying again sends the
// same key and the server, if the first did arrive, answers with its first
// reply instead of making a second object. Once answered, the next create
// is a new request, even with the same fields (a deliberate repeat).
const inFlight = new Map();
const retryKeys = new Map();

function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// POST that creates something (a user, an org, a list...), with its key.
export function create(path, body) {
  const id = `${path}\n${JSON.stringify(body ?? null)}`;
  if (inFlight.has(id)) return inFlight.get(id);
  const key = retryKeys.get(id) ?? newKey();
  const sent = api("POST", path, body, { "Idempotency-Key": key }).then(
    (reply) => {
      retryKeys.delete(id);
      return reply;
    },
    (err) => {
      if (err instanceof ApiError && err.status === 0) retryKeys.set(id, key);
      else retryKeys.delete(id);
      throw err;
    },
  ).finally(() => inFlight.delete(id));
  inFlight.set(id, sent);
  return sent;
}

// Calls on their way, on the page's root as data-api-pending: with
// app.mjs's data-settled, what tells a page that has drawn what it loads
// (the browser tests wait for both, not for half a second of quiet on the
// network: tests/browser/harness.mjs).
let pending = 0;

function countPending(change) {
  pending += change;
  document.documentElement.dataset.apiPending = String(pending);
}

export async function api(method, path, body, extraHeaders = {}) {
  countPending(1);
  try {
    return await send(method, path, body, extraHeaders);
  } finally {
    countPending(-1);
  }
}

async function send(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let resp;
  try {
    resp = await fetch("/api/v1" + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, {
      code: "network",
      message: "The server could not be reached. Check your connection and try again.",
    });
  }
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  for (const fn of listeners) await fn(resp.status, data?.error ?? null);
  if (!resp.ok) throw new ApiError(resp.status, data?.error, data);
  return data;
}
