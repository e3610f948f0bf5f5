// Home: who is signed in and, as links, the menu items they may use.
import { page } from "../app.mjs";
import { roleName } from "../roles.mjs";

page(({ me }) => {
  document.getElementById("welcome").textContent = `Welcome, ${me.display_name || me.address}`;
  const set = (key, text) => {
    document.querySelector(`[data-me="${key}"]`).textContent = text;
  };
  set("address", me.address);
  set("org", me.org ? `${me.org.name} (${me.org.ods})` : "None");
  set("roles", me.roles?.length ? me.roles.map((r) => `${roleName(r.role)} of ${r.org}`).join("; ") : "None");
  const links = document.getElementById("home-links");
  for (const item of document.querySelectorAll(".nhsuk-header__navigation-item[data-needs]:not([hidden]) a")) {
    if (item.getAttribute("href") === "/") continue;
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = item.getAttribute("href");
    a.textContent = item.textContent.trim();
    li.append(a);
    links.append(li);
  }
  if (!links.children.length) {
    const li = document.createElement("li");
    li.textContent = "More pages are on their way: your profile, People Finder and, for administrators, the administration pages.";
    links.append(li);
  }
});
