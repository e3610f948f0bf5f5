// What every page shares: the service's name and the header's menu.
// A menu item appears once its page exists (web/pages/NAME.njk) and only to
// a person who may take its action somewhere ("everyone": anyone signed
// in), as GET /api/v1/me's `actions` say from the access table in
// src/auth/auth_access.c; the menu only hides what the API would refuse
// anyway, it grants nothing.

export const service = {
  name: "caremail",
  // Shown in the footer.
  owner: "caremail",
};

export const nav = [
  { text: "Home", href: "/", needs: "everyone" },
  { text: "People Finder", href: "/people", needs: "everyone" },
  { text: "Users", href: "/users", needs: "user.read" },
  { text: "Import users", href: "/imports", needs: "user.create" },
  { text: "Organisations", href: "/orgs", needs: "org.read" },
  { text: "API tokens", href: "/tokens", needs: "token.manage" },
  { text: "Mailboxes", href: "/mailboxes", needs: "mailbox.manage" },
  { text: "Your shared mailboxes", href: "/account#shared-mailboxes", needs: "shared.owner" },
  { text: "Lists", href: "/lists", needs: "everyone" },
  { text: "Secure messages sent", href: "/secure-sent", needs: "everyone" },
  { text: "List approvals", href: "/list-approvals", needs: "list.manage" },
  { text: "Contacts", href: "/contacts", needs: "contact.manage" },
  { text: "Guests", href: "/guests", needs: "everyone" },
  { text: "Add-on licences", href: "/licences", needs: "report.read" },
  { text: "Audit", href: "/audit", needs: "audit.read" },
  { text: "Devices report", href: "/devices", needs: "report.read" },
  { text: "Lifecycle preview", href: "/jobs-preview", needs: "user.read" },
  { text: "Mail queue", href: "/queue", needs: "queue.manage" },
  { text: "Maintenance", href: "/maintenance", needs: "maintenance.manage" },
  { text: "My account", href: "/account", needs: "everyone" },
];
