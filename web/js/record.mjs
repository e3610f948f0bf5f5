// A record page (user, org, list, mailbox, contact): its first read, with
// the refusal shown on the page's #find-form to try another; what an
// action did, said in #action-done; and the record's #delete-form.
import { api, ApiError } from "./api.mjs";
import { action, FormError, showErrors } from "./form.mjs";
import { capital } from "./format.mjs";

// What an action did, in the page's #action-done (a live region).
export function said(text) {
  document.getElementById("action-done").textContent = text;
}

// A record page's first read, read(key) for its ?PARAM= (param: "address"
// by default, "ods" for an org): the record, or null with the refusal (or
// missing, when no key was given) shown on the page's #find-form's box of
// that name, to try another, and the heading set to the key.
export async function openRecord(heading, missing, read, param = "address") {
  const key = (new URLSearchParams(window.location.search).get(param) ?? "").trim();
  const refused = (message) => {
    const find = document.getElementById("find-form");
    find.hidden = false;
    document.getElementById(param).value = key;
    if (key) document.getElementById(heading).textContent = key;
    showErrors(find, [{ field: param, message }]);
    return null;
  };
  if (!key) return refused(missing);
  try {
    return await read(key);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return refused(err.message);
  }
}

// The record page's #delete-form: refused (on its box) until
// #confirm_delete is ticked, then DELETE path; then the record
// (#NOUN-record) goes and #deleted, which takes the focus the form's
// button had, says which address went.
export function deleteAction(noun, path, address) {
  action(document.getElementById("delete-form"), (v) => {
    if (!v.confirm_delete) throw new FormError("confirm_delete", `Tick the box to confirm you want to delete this ${noun}`);
    return api("DELETE", path);
  }, () => {
    document.getElementById(`${noun}-record`).hidden = true;
    document.getElementById("deleted-address").textContent = address;
    const gone = document.getElementById("deleted");
    gone.hidden = false;
    gone.focus();
    said(`${capital(noun)} deleted.`);
  });
}
