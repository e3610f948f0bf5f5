// Builds caremail's web pages into one directory that `caremail serve`
// serves as http.web_root (docs/web.md):
//   pages/*.njk  -> NAME.html (Nunjucks, with nhsuk-frontend's own macros);
//   pages/DIR/NAME.njk -> DIR/NAME.html, served at /DIR/NAME
//   styles/app.scss -> assets/HASH/app.css (nhsuk-frontend's Sass, Arial)
//   js/**.mjs and nhsuk-frontend's ES module -> assets/HASH/js/...
// and a .gz and .br beside every text file. HASH is the assets' content
// hash, so asset URLs never change meaning and are cached as immutable;
// pages are served no-cache. Usage: node build.mjs [OUT] (default ../build/web).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import nunjucks from "nunjucks";
import * as sass from "sass";

import { nav, service } from "./site.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "..", "build", "web"));
const nhsuk = path.join(here, "node_modules", "nhsuk-frontend", "dist");

// The design system's files our pages use, as named under assets/HASH/.
const vendor = {
  "js/nhsuk-frontend.min.js": path.join(nhsuk, "nhsuk", "nhsuk-frontend.min.js"),
  "js/qrcode.mjs": path.join(here, "node_modules", "qrcode-generator", "dist", "qrcode.mjs"),
};
// Its icons, which its CSS names relative to app.css, and the favicons.
const vendorImages = path.join(nhsuk, "nhsuk", "assets", "images");

// The platform makes no request outside its own origin (docs/web.md): a
// built file naming another origin in a URL the browser would fetch fails
// the build. Links in comments and licences are not fetched, so only the
// CSS url() and JS import forms are checked.
function checkNoExternalUrl(name, text) {
  const external = /url\(\s*['"]?(https?:)?\/\/|@import\s+['"](https?:)?\/\/|from\s+['"](https?:)?\/\/|import\(\s*['"](https?:)?\/\//i;
  const found = text.match(external);
  if (found) throw new Error(`${name}: refers to another origin (${found[0]}); every file must come from this server`);
}

function compileCss() {
  const result = sass.compile(path.join(here, "styles", "app.scss"), {
    loadPaths: [path.join(here, "node_modules")],
    style: "compressed",
    quietDeps: true,
    silenceDeprecations: ["import"],
  });
  if (/@font-face/.test(result.css)) throw new Error("app.css: has an @font-face; the pages use Arial only");
  checkNoExternalUrl("app.css", result.css);
  return result.css;
}

// Every file under dir, as paths relative to it.
function walk(dir, prefix = "") {
  const names = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) names.push(...walk(path.join(dir, entry.name), rel + "/"));
    else names.push(rel);
  }
  return names.sort();
}

// The assets as { name: Buffer }: our modules, the design system's, the CSS.
function collectAssets() {
  const assets = {};
  for (const [name, file] of Object.entries(vendor)) assets[name] = fs.readFileSync(file);
  for (const rel of walk(vendorImages)) assets[`images/${rel}`] = fs.readFileSync(path.join(vendorImages, rel));
  for (const rel of walk(path.join(here, "js"))) {
    if (!rel.endsWith(".mjs") || rel.endsWith(".test.mjs")) continue;
    const text = fs.readFileSync(path.join(here, "js", rel), "utf8");
    checkNoExternalUrl(`js/${rel}`, text);
    assets[`js/${rel}`] = Buffer.from(text);
  }
  assets["app.css"] = Buffer.from(compileCss());
  return assets;
}

function assetsHash(assets) {
  const h = createHash("sha256");
  for (const name of Object.keys(assets).sort()) h.update(name).update("\0").update(assets[name]).update("\0");
  return h.digest("hex").slice(0, 12);
}

function renderPages(assetPath) {
  const env = nunjucks.configure([path.join(here, "templates"), path.join(here, "pages"), nhsuk], {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  const pages = {};
  // Pages in a folder are served below it (pages/secure/open.njk at
  // /secure/open): the secure message portal's reader pages, whose link
  // the notice mail carries, live there apart from the staff pages.
  const names = walk(path.join(here, "pages")).filter((n) => n.endsWith(".njk"));
  // templates/ comes first on the search path, so a template named like a
  // page would be rendered in the page's place.
  for (const name of names) {
    if (fs.existsSync(path.join(here, "templates", name))) {
      throw new Error(`web/templates/${name} has the name of the page web/pages/${name}; rename the template`);
    }
  }
  const built = new Set(names.map((n) => "/" + n.replace(/(^|\/)index\.njk$/, "$1").replace(/\.njk$/, "")));
  for (const name of names) {
    const page = name.replace(/\.njk$/, "");
    const html = env.render(name, {
      assetPath,
      service,
      page,
      // Only the menu items whose page exists yet (site.mjs; a #part is
      // a section of the page).
      nav: nav.filter((item) => built.has(item.href.replace(/#.*$/, ""))),
    });
    if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) throw new Error(`${name}: has an inline <script>; the CSP allows none`);
    if (/\sstyle=/i.test(html)) throw new Error(`${name}: has a style attribute; the CSP allows none`);
    if (/\son[a-z]+=/i.test(html)) throw new Error(`${name}: has an inline event handler; the CSP allows none`);
    pages[`${page}.html`] = Buffer.from(html);
  }
  return pages;
}

const compressible = /\.(html|css|mjs|js|svg|json|ico)$/;

function write(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  if (!compressible.test(file) || data.length < 256) return;
  fs.writeFileSync(file + ".gz", zlib.gzipSync(data, { level: 9 }));
  fs.writeFileSync(file + ".br", zlib.brotliCompressSync(data, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
  }));
}

function build() {
  const assets = collectAssets();
  const hash = assetsHash(assets);
  const assetPath = `/assets/${hash}`;
  const pages = renderPages(assetPath);
  // Built beside the old output and swapped in, so a running server never
  // serves half a build.
  const tmp = `${out}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const [name, data] of Object.entries(assets)) write(path.join(tmp, "assets", hash, name), data);
  for (const [name, data] of Object.entries(pages)) write(path.join(tmp, name), data);
  const old = `${out}.old-${process.pid}`;
  if (fs.existsSync(out)) fs.renameSync(out, old);
  fs.renameSync(tmp, out);
  fs.rmSync(old, { recursive: true, force: true });
  console.log(`web: ${Object.keys(pages).length} pages, assets ${assetPath} -> ${path.relative(process.cwd(), out) || "."}`);
}

build();
