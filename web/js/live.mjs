// Work that follows typing (People Finder's search, a list rule's member
// count): it runs once typing pauses, and a reply that arrives after a
// newer request's is dropped, so what is shown always answers what is in
// the form now.

export const DEBOUNCE_MS = 300;

// fn(...args) DEBOUNCE_MS after the last call; .cancel() forgets a call
// still waiting (a submit runs at once instead).
export function debounce(fn, ms = DEBOUNCE_MS) {
  let timer = null;
  const later = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  later.cancel = () => clearTimeout(timer);
  return later;
}

// Each call of the returned function starts a request and gives back a
// test, true while no later request has started.
export function latestOnly() {
  let seq = 0;
  return () => {
    const mine = ++seq;
    return () => mine === seq;
  };
}
