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

// One Idempotency-Key per creating request on this page: a double click
// or a retry of the same create sends the same key, so the server makes
// one object and answers the repeat with the first reply (SPEC D3).
const createKeys = new Map();

function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// POST that creates something (a user, an org, a list...), with its key.
export function create(path, body) {
  const id = `${path}\n${JSON.stringify(body ?? null)}`;
  if (!createKeys.has(id)) createKeys.set(id, newKey());
  return api("POST", path, body, { "Idempotency-Key": createKeys.get(id) });
}

export async function api(method, path, body, extraHeaders = {}) {
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
