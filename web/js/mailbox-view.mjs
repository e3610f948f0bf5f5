// What the mailbox and contact pages share (mailboxes, mailbox,
// mailbox-new; contacts, contact-new): the two kinds and their API paths,
// a mailbox's and a contact's link, and the three permissions (docs/api.md
// "Shared and resource mailboxes") in plain words.

export const KINDS = {
  shared: { endpoint: "/shared-mailboxes", name: "Shared mailbox", plural: "Shared mailboxes" },
  resource: { endpoint: "/resource-mailboxes", name: "Resource mailbox", plural: "Resource mailboxes" },
};

// The API's names for the rights, and what each lets a person do.
export const RIGHTS = {
  full_access: {
    title: "Full access",
    means: "Read, file and delete the mailbox's mail as if it were their own; it appears in their mail app by itself, and goes as soon as this is revoked.",
  },
  send_as: {
    title: "Send as",
    means: "Send mail from the mailbox's address; the people who receive it see only the mailbox.",
  },
  send_on_behalf: {
    title: "Send on behalf",
    means: "Send mail from the mailbox's address with their own name shown too (\u201cJo Smith on behalf of Reception\u201d).",
  },
};

export function mailboxHref(m) {
  return `/mailbox?address=${encodeURIComponent(m.address)}&kind=${encodeURIComponent(m.kind)}`;
}

export function contactHref(address) {
  return `/contact?address=${encodeURIComponent(address)}`;
}

export function quota(mb) {
  if (mb === null || mb === undefined) return "None";
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GB (${mb} MB)` : `${mb} MB`;
}
