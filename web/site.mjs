// What every page shares: the service's name and the header's menu.
// A menu item appears once its page exists (web/pages/NAME.njk) and only to
// a person holding one of its roles ("everyone": anyone signed in). The
// roles mirror what each admin role may do in src/auth/auth_access.c; the
// menu only hides what the API would refuse anyway, it grants nothing.

export const service = {
  name: "caremail",
  // Shown in the footer.
  owner: "caremail",
};

const LOCAL = ["global_admin", "primary_local_admin", "local_admin"];

export const nav = [
  { text: "Home", href: "/", roles: "everyone" },
  { text: "People Finder", href: "/people", roles: "everyone" },
  { text: "Users", href: "/users", roles: [...LOCAL, "helpdesk_admin", "audit_authorisation"] },
  { text: "Organisations", href: "/orgs", roles: [...LOCAL, "audit_authorisation"] },
  // token.manage: Global and Primary Local Administrators.
  { text: "API tokens", href: "/tokens", roles: ["global_admin", "primary_local_admin"] },
  { text: "Mailboxes", href: "/mailboxes", roles: LOCAL },
  { text: "Lists", href: "/lists", roles: "everyone" },
  { text: "List approvals", href: "/list-approvals", roles: LOCAL },
  { text: "Contacts", href: "/contacts", roles: LOCAL },
  { text: "Audit", href: "/audit", roles: [...LOCAL, "audit_authorisation"] },
  { text: "Devices report", href: "/devices", roles: [...LOCAL, "audit_authorisation"] },
  { text: "Mail queue", href: "/queue", roles: ["global_admin"] },
  { text: "My account", href: "/account", roles: "everyone" },
];
