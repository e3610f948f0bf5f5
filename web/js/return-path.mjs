// Where to go after signing in: only a path on this site, never another
// origin ("//evil.example", "https://...", "/\\evil", "javascript:"), and
// never the API or a sign-in page itself (a loop). A pure function:
// test/return-path.test.mjs has its table.

const NO_RETURN = ["/sign-in", "/new-password", "/set-up-two-factor", "/forgot-password"];

export function safeReturn(value, fallback = "/") {
  if (typeof value !== "string" || value.length === 0 || value.length > 1024) return fallback;
  // A path: one leading slash, then no slash or backslash straight after
  // it, no control characters, no scheme.
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let url;
  try {
    url = new URL(value, "https://caremail.invalid");
  } catch {
    return fallback;
  }
  if (url.origin !== "https://caremail.invalid") return fallback;
  if (url.pathname.startsWith("/api/") || NO_RETURN.includes(url.pathname)) return fallback;
  return url.pathname + url.search + url.hash;
}

// The current page as a return path (what the person was doing).
export function hereAsReturn(loc) {
  return loc.pathname + loc.search + loc.hash;
}

// Where a reader of the secure message portal goes after signing in: one
// of the reader's own pages only (a reader is not staff: never a staff
// page, nor the reader's sign-in or link page); anything else goes to
// their messages.
const READER_PAGES = ["/secure/messages", "/secure/message", "/secure/password"];

export function readerReturn(value) {
  const back = safeReturn(value, "/secure/messages");
  const pathname = back.replace(/[?#].*$/s, "");
  return READER_PAGES.includes(pathname) ? back : "/secure/messages";
}
