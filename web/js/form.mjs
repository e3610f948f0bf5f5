// Forms the design system's way (service-manual "error summary" and "error
// message"): a refusal from the API is shown in the error summary at the top
// of the page, as a link to the field it names, and beside that field.
// Convention: name each input as the API's field ("email", "password",
// "code", ...) or give it data-api-field="FIELD"; an error with no field,
// or one no input takes, is linked to the form's first input. Also the
// admin pages' actions: a form per action (action), a one-button form in
// a row (rowAction) and a button in a list (actionButton), whose refusal
// is linked to the field it is about or to the button itself.
import { ApiError } from "./api.mjs";
import { el } from "./dom.mjs";

const pageTitle = document.title;

// Errors the page finds itself before asking the API (two passwords that
// differ, say), in the same shape as the API's.
export class FormError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

// The API's sentences start in lower case and may lack a full stop.
export function sentence(text) {
  const t = String(text ?? "").trim();
  if (!t) return "Something went wrong; try again.";
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

function inputFor(form, field) {
  if (field) {
    const named = form.querySelector(`[name="${CSS.escape(field)}"]`) ??
      form.querySelector(`[data-api-field~="${CSS.escape(field)}"]`);
    if (named && !named.closest("[hidden]")) return named;
  }
  return [...form.querySelectorAll("input, select, textarea")]
    .find((el) => el.type !== "hidden" && !el.closest("[hidden]")) ?? null;
}

export function clearErrors(form) {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.hidden = true;
    summary.querySelector(".nhsuk-error-summary__list")?.replaceChildren();
  }
  for (const el of form.querySelectorAll(".app-error-added")) el.remove();
  for (const el of form.querySelectorAll(".nhsuk-form-group--error")) el.classList.remove("nhsuk-form-group--error");
  for (const el of form.querySelectorAll(".nhsuk-input--error")) {
    el.classList.remove("nhsuk-input--error");
    const ids = (el.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => !id.endsWith("-error"));
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
    else el.removeAttribute("aria-describedby");
  }
  document.title = pageTitle;
}

// errors: [{ field, message }]. Fills the summary, marks each field, and
// moves focus to the summary so a screen reader announces it.
export function showErrors(form, errors) {
  clearErrors(form);
  const summary = document.getElementById("error-summary");
  const body = summary.querySelector(".nhsuk-error-summary__body");
  let list = body.querySelector(".nhsuk-error-summary__list");
  if (!list) {
    list = document.createElement("ul");
    list.className = "nhsuk-list nhsuk-error-summary__list";
    body.append(list);
  }
  for (const error of errors) {
    const text = sentence(error.message);
    const input = inputFor(form, error.field);
    const item = document.createElement("li");
    if (input) {
      const id = input.id || (input.id = `field-${input.name}`);
      const link = document.createElement("a");
      link.href = `#${id}`;
      link.textContent = text;
      item.append(link);
      const group = input.closest(".nhsuk-form-group");
      group?.classList.add("nhsuk-form-group--error");
      if (input.classList.contains("nhsuk-input")) input.classList.add("nhsuk-input--error");
      const message = document.createElement("span");
      message.className = "nhsuk-error-message app-error-added";
      message.id = `${id}-error`;
      const hidden = document.createElement("span");
      hidden.className = "nhsuk-u-visually-hidden";
      hidden.textContent = "Error:";
      message.append(hidden, " " + text);
      const anchor = input.closest(".nhsuk-input-wrapper, .nhsuk-password-input__wrapper") ?? input;
      anchor.before(message);
      const described = (input.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
      input.setAttribute("aria-describedby", [...described, message.id].join(" "));
    } else {
      item.textContent = text;
    }
    list.append(item);
  }
  summary.hidden = false;
  document.title = `Error: ${pageTitle}`;
  summary.focus();
}

// The form's fields by name, as strings (checkboxes: true or false).
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.closest("[hidden]")) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "radio") {
      if (el.checked) out[el.name] = el.value;
    } else out[el.name] = el.value;
  }
  return out;
}

// Runs submit(values) on submit, with the button disabled meanwhile; a
// refusal (ApiError or FormError) is shown with showErrors. Anything else
// is a bug and is thrown on.
export function bindForm(form, submit) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit], button:not([type])");
    if (button) button.disabled = true;
    clearErrors(form);
    try {
      await submit(values(form));
    } catch (err) {
      if (err instanceof ApiError || err instanceof FormError) showErrors(form, [{ field: err.field, message: err.message }]);
      else throw err;
    } finally {
      if (button) button.disabled = false;
    }
  });
}

// A refusal that names no field of the form (none, or one the form does
// not have) is linked to fallback: the field the action is about (the
// person an add form takes) or else the form's own button
// (data-api-field="FIELD"), as an action like "Delete" has no other.
function relinked(form, fallback, err) {
  if (!(err instanceof ApiError)) return err;
  const named = err.field && form.querySelector(`[name="${CSS.escape(err.field)}"]`);
  return named ? err : new FormError(fallback, err.message);
}

// Binds form to run(values), then done(reply, values); a refusal is shown
// in the error summary, linked as above (fallback: by default the submit
// button's data-api-field).
export function action(form, run, done, fallback) {
  const field = fallback ?? form.querySelector("button[type=submit]")?.dataset.apiField;
  bindForm(form, async (values) => {
    let reply;
    try {
      reply = await run(values);
    } catch (err) {
      throw relinked(form, field, err);
    }
    await done(reply, values);
  });
}

// A form of one button, for "Remove" on a row: visible words and, for a
// screen reader, what it acts on (hidden). id must be unique on the page;
// a refusal is linked to the button. The look: by default a link-styled
// button (the summary list's action); classes { form, button } to change.
export function rowAction(id, words, hidden, run, done, classes = {}) {
  const form = el("form", classes.form ?? "app-row-action");
  form.noValidate = true;
  const button = el("button", classes.button ?? "nhsuk-link", words);
  button.type = "submit";
  button.id = id;
  button.dataset.apiField = id;
  button.append(el("span", "nhsuk-u-visually-hidden", ` ${hidden}`));
  form.append(button);
  action(form, run, done);
  return form;
}

// A button (not a form: it sits in a table inside form) that runs run();
// a refusal is shown in form's error summary, linked to the field the
// API names or else to the button (id, when given). words: what it says;
// hidden: for a screen reader, what it acts on.
export function actionButton({ id, words, hidden, classes, form, run }) {
  const button = el("button", classes, words);
  button.type = "button";
  if (id) {
    button.id = id;
    button.dataset.apiField = id;
  }
  button.append(el("span", "nhsuk-u-visually-hidden", ` ${hidden}`));
  button.addEventListener("click", async () => {
    button.disabled = true;
    clearErrors(form);
    try {
      await run();
    } catch (err) {
      button.disabled = false;
      if (!(err instanceof ApiError)) throw err;
      showErrors(form, [{ field: err.field ?? id, message: err.message }]);
    }
  });
  return button;
}
