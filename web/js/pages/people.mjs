// People Finder (SPEC D4): search as you type, debounced, and on submit
// (so it works by keyboard without waiting); the search is kept in the
// address so the browser's Back returns to it. A page is a type-ahead's
// worth; "Show more people" asks for the next with the reply's cursor and
// adds it below, moving focus to the first person added. Get help (SPEC D6): who
// to ask in the person's own organisation.
import { page } from "../app.mjs";
import { api, ApiError } from "../api.mjs";
import { bindForm, clearErrors, sentence } from "../form.mjs";
import { debounce, latestOnly } from "../live.mjs";
import { link } from "../dom.mjs";
import { helpdeskNodes, orgText, personHref, tagElements, tel } from "../people-view.mjs";
import { roleName } from "../roles.mjs";

const $ = (id) => document.getElementById(id);
const FIELDS = ["q", "org", "job_title"];

function query(v) {
  const params = new URLSearchParams();
  for (const f of FIELDS) if ((v[f] ?? "").trim()) params.set(f, v[f].trim());
  return params;
}

function line(label, nodes) {
  const p = document.createElement("p");
  p.className = "nhsuk-body-s nhsuk-u-margin-bottom-1";
  const key = document.createElement("span");
  key.className = "app-result-label";
  key.textContent = `${label}: `;
  p.append(key, ...nodes);
  return p;
}

function result(person) {
  const li = document.createElement("li");
  li.className = "nhsuk-card app-result";
  const body = document.createElement("div");
  body.className = "nhsuk-card__content";
  const h = document.createElement("h2");
  h.className = "nhsuk-card__heading nhsuk-heading-s";
  h.append(link(person.display_name || person.address, personHref(person.address), ""));
  body.append(h);
  const tags = tagElements(person);
  if (tags.length) {
    const p = document.createElement("p");
    p.className = "nhsuk-u-margin-bottom-2";
    p.append(...tags);
    body.append(p);
  }
  if (person.job_title) body.append(line("Job title", [person.job_title]));
  body.append(line("Email", [link(person.address, `mailto:${person.address}`, "")]));
  body.append(line("Organisation", [orgText(person)]));
  if (person.site) body.append(line("Site", [person.site.name]));
  if (person.phone) body.append(line("Phone", [tel(person.phone)]));
  if (person.mobile) body.append(line("Mobile", [tel(person.mobile)]));
  body.append(line("IT helpdesk", helpdeskNodes(person.helpdesk)));
  li.append(body);
  return li;
}

// The search shown and where its next page starts ("" for none).
const shown = { params: null, cursor: "" };

function show(reply, params, { append = false } = {}) {
  const items = reply.items.map(result);
  if (append) $("results").append(...items);
  else $("results").replaceChildren(...items);
  const n = $("results").children.length;
  shown.params = params;
  shown.cursor = reply.next_cursor ?? "";
  $("results-status").textContent = n === 0
    ? "No one matches. Check the spelling, or search with less of the name."
    : shown.cursor ? `Showing the first ${n} people.` : `${n} ${n === 1 ? "person" : "people"} found.`;
  $("refine").hidden = !reply.refine || append;
  if (!append) $("refine-text").textContent = reply.refine ? sentence(reply.message) : "";
  $("more").hidden = !shown.cursor;
  return items;
}

function clear(text = "") {
  $("results").replaceChildren();
  $("refine").hidden = true;
  $("more").hidden = true;
  shown.params = null;
  shown.cursor = "";
  $("results-status").textContent = text;
}

async function loadHelp() {
  const help = await api("GET", "/people/help");
  $("help-helpdesk").replaceChildren(...(help.helpdesk ? helpdeskNodes(help.helpdesk) : ["None given. Ask your local administrators."]));
  $("help-org").textContent = help.org ? `For ${help.org.name} (${help.org.ods})` : "";
  const list = $("help-admins");
  list.replaceChildren();
  for (const a of help.admins ?? []) {
    const li = document.createElement("li");
    li.append(link(a.display_name || a.address, personHref(a.address), ""));
    li.append(` — ${roleName(a.role)}`);
    const phone = a.phone || a.mobile;
    if (phone) li.append(", ", tel(phone));
    list.append(li);
  }
  if (!list.children.length) {
    const li = document.createElement("li");
    li.textContent = "None found.";
    list.append(li);
  }
}

page(async () => {
  const form = $("search-form");
  const newRequest = latestOnly();

  // Runs one search; an older reply arriving after a newer one is dropped.
  async function search(v, { fromSubmit }) {
    const params = query(v);
    const current = newRequest();
    window.history.replaceState(null, "", params.size ? `/people?${params}` : "/people");
    window.sessionStorage.setItem("people-search", params.toString());
    if (!params.size) {
      if (fromSubmit) throw new ApiError(422, { field: "q", message: "Type a name or email address to look for." });
      clear();
      return;
    }
    $("results-status").textContent = "Searching…";
    try {
      const reply = await api("GET", `/people?${params}`);
      if (current()) show(reply, params);
    } catch (err) {
      if (!current()) return;
      if (fromSubmit || !(err instanceof ApiError)) {
        clear();
        throw err;
      }
      // While typing, a refusal (too many words, say) is told quietly;
      // the error summary is for a search the person asked for.
      clear(sentence(err.message));
    }
  }

  const typed = debounce(() => {
    clearErrors(form);
    const v = Object.fromEntries(FIELDS.map((f) => [f, $(f).value]));
    search(v, { fromSubmit: false }).catch((err) => console.error(err));
  });

  bindForm(form, async (v) => {
    typed.cancel();
    await search(v, { fromSubmit: true });
  });

  form.addEventListener("input", () => typed());

  // The next page of the search shown, added below the people already
  // there; a new search typed meanwhile wins (latestOnly).
  $("more").addEventListener("click", async () => {
    if (!shown.params || !shown.cursor) return;
    const params = new URLSearchParams(shown.params);
    params.set("cursor", shown.cursor);
    const current = newRequest();
    $("more").disabled = true;
    try {
      const reply = await api("GET", `/people?${params}`);
      if (!current()) return;
      const added = show(reply, shown.params, { append: true });
      added[0]?.querySelector("h2 a")?.focus();
    } catch (err) {
      if (current()) $("results-status").textContent = sentence(err.message);
    } finally {
      $("more").disabled = false;
    }
  });

  // A search in the address (Back from a person's card): run it again.
  const asked = new URLSearchParams(window.location.search);
  for (const f of FIELDS) $(f).value = asked.get(f) ?? "";
  const help = loadHelp();
  if (FIELDS.some((f) => asked.get(f))) {
    await search(Object.fromEntries(FIELDS.map((f) => [f, $(f).value])), { fromSubmit: false });
  }
  await help;
});
