// Two-factor enrolment (docs/api.md "Two-factor sign-in (TOTP)"): a new
// secret from the API, shown as a QR code drawn here (qrcode-generator, no
// outside service, so the secret never leaves this page) and as text, then
// a code from the app to prove it works.
import { page } from "../app.mjs";
import { api } from "../api.mjs";
import { bindForm, showErrors } from "../form.mjs";
import { safeReturn } from "../return-path.mjs";
import qrcode from "../qrcode.mjs";

const SVG = "http://www.w3.org/2000/svg";

// The QR code as an SVG of one path: each dark module a 1x1 square, with
// the 4-module quiet zone the standard asks for.
export function qrSvg(text, label) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const size = n + 8;
  let d = "";
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (qr.isDark(row, col)) d += `M${col + 4} ${row + 4}h1v1h-1z`;
    }
  }
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const bg = document.createElementNS(SVG, "rect");
  bg.setAttribute("width", String(size));
  bg.setAttribute("height", String(size));
  bg.setAttribute("fill", "#fff");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(bg, path);
  return svg;
}

page(async () => {
  const back = safeReturn(new URLSearchParams(window.location.search).get("return"));
  const form = document.getElementById("verify-form");
  let enrolment;
  try {
    enrolment = await api("POST", "/me/mfa");
  } catch (err) {
    // Already set up (409): nothing to do here.
    if (err.status === 409) return window.location.assign(back);
    return showErrors(form, [{ field: null, message: err.message }]);
  }
  document.getElementById("qr-code").append(qrSvg(enrolment.uri, "QR code to scan with your authenticator app"));
  document.getElementById("secret").textContent = enrolment.secret.replace(/(.{4})/g, "$1 ").trim();
  bindForm(form, async ({ code }) => {
    await api("POST", "/me/mfa/verify", { code: code.replace(/\s+/g, "") });
    window.location.assign(back);
  });
});
