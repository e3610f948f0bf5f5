// A person's card (SPEC D4): everything People Finder shows of one
// person, found by their exact address. The way back keeps the search
// (kept by /people in sessionStorage) when there was one.
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { link } from "../dom.mjs";
import { helpdeskNodes, orgText, tagElements, tel } from "../people-view.mjs";
import { summaryRow as row } from "../summary.mjs";

const $ = (id) => document.getElementById(id);

page(async () => {
  // Back to the search that led here (people.mjs keeps it: the site
  // sends no Referer).
  const last = window.sessionStorage.getItem("people-search");
  if (last) $("back").href = `/people?${last}`;
  const address = (new URLSearchParams(window.location.search).get("address") ?? "").trim();
  let person = null;
  if (address) {
    const reply = await api("GET", `/people?${new URLSearchParams({ email: address })}`);
    person = reply.items.find((p) => p.address.toLowerCase() === address.toLowerCase()) ?? null;
  }
  if (!person) {
    $("person-name").textContent = "Person not found";
    document.title = `Person not found – ${document.title.split(" – ").pop()}`;
    $("person-missing").hidden = false;
    return;
  }
  const name = person.display_name || person.address;
  $("person-name").textContent = name;
  document.title = `${name} – ${document.title.split(" – ").pop()}`;
  $("person-tags").replaceChildren(...tagElements(person));
  const card = $("person-card");
  const rows = [
    row("Email address", [link(person.address, `mailto:${person.address}`, "")]),
    row("Job title", [person.job_title || "Not given"]),
  ];
  if (person.department) rows.push(row("Department", [person.department]));
  rows.push(row("Organisation", [orgText(person)]));
  rows.push(row("Site", [person.site ? person.site.name : "Not given"]));
  rows.push(row("Phone", person.phone ? [tel(person.phone)] : ["Not given"]));
  rows.push(row("Mobile", person.mobile ? [tel(person.mobile)] : ["Not shown"]));
  rows.push(row("Local IT helpdesk", helpdeskNodes(person.helpdesk)));
  card.replaceChildren(...rows);
  card.hidden = false;
});
