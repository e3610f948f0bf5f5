/*
 * `caremail demo`: fills an instance with a believable region - an ICB, GP
 * practices, a pharmacy, a care home and an NHS trust, ~300 people, shared
 * and resource mailboxes, contacts, static, nested and dynamic lists - all
 * made through dir/ in one transaction. A fixed-seed generator makes every
 * run the same. Layer: front end.
 * SECURITY: demo people get no password, so none of them can sign in.
 * They have accepted the AUP and set security questions, so the ones given
 * a password can send mail at once (SPEC M7); the answers are random text
 * hashed once and forgotten, so no one can use them to recover an account.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth/auth_recovery.h"
#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "instance/instance.h"

#define DEMO_SEED 0x5eed2026caa3e11dULL
#define DEMO_PEOPLE_MAX 400
#define DEMO_SITES_MAX 3
#define DEMO_ICB "QWE"

struct demo_job {
	const char *title;
	const char *departments;	/* "A|B|C": taken in turn */
	int count;
};

struct demo_site {
	const char *name;
	const char *type;
	const char *address;
};

struct demo_org {
	const char *ods;
	const char *name;
	const char *short_name;	/* names its shared mailboxes */
	const char *type;
	const char *address;
	const char *phone;	/* the switchboard; people get extensions */
	const struct demo_job *jobs;
	struct demo_site sites[DEMO_SITES_MAX];
};

static const struct demo_job icb_jobs[] = {
	{ "Chief Executive", "Executive Office", 1 },
	{ "Clinical Lead", "Clinical Leadership", 3 },
	{ "Commissioning Manager", "Commissioning", 4 },
	{ "Pharmacist", "Medicines Optimisation", 2 },
	{ "Data Analyst", "Business Intelligence", 3 },
	{ "IT Service Desk Analyst", "Digital", 3 },
	{ "Administrator", "Corporate Services", 4 },
	{ NULL, NULL, 0 },
};

static const struct demo_job gp_jobs[] = {
	{ "Practice Manager", "Management", 1 },
	{ "GP Partner", "Clinical", 3 },
	{ "GP", "Clinical", 2 },
	{ "Practice Nurse", "Nursing", 3 },
	{ "Healthcare Assistant", "Nursing", 2 },
	{ "Pharmacist", "Medicines Management", 1 },
	{ "Receptionist", "Reception", 6 },
	{ "Medical Secretary", "Administration", 2 },
	{ "Administrator", "Administration", 2 },
	{ NULL, NULL, 0 },
};

static const struct demo_job pharmacy_jobs[] = {
	{ "Pharmacist", "Dispensary", 2 },
	{ "Pharmacy Technician", "Dispensary", 2 },
	{ "Dispenser", "Dispensary", 2 },
	{ "Medicines Counter Assistant", "Counter", 2 },
	{ NULL, NULL, 0 },
};

static const struct demo_job care_home_jobs[] = {
	{ "Registered Manager", "Management", 1 },
	{ "Deputy Manager", "Management", 1 },
	{ "Registered Nurse", "Nursing", 3 },
	{ "Senior Care Worker", "Care", 5 },
	{ "Care Worker", "Care", 12 },
	{ "Activities Coordinator", "Wellbeing", 1 },
	{ "Cook", "Catering", 1 },
	{ "Administrator", "Office", 1 },
	{ NULL, NULL, 0 },
};

static const struct demo_job trust_jobs[] = {
	{ "IT Service Desk Analyst", "Digital", 2 },
	{ "Consultant", "Cardiology|Emergency Department|Paediatrics|"
	  "Orthopaedics|General Surgery|Radiology", 18 },
	{ "Specialty Doctor", "Emergency Department|General Medicine", 8 },
	{ "Foundation Doctor", "General Medicine|General Surgery", 8 },
	{ "Ward Manager", "Wards", 6 },
	{ "Staff Nurse", "Wards|Emergency Department|Paediatrics", 30 },
	{ "Healthcare Assistant", "Wards", 15 },
	{ "Pharmacist", "Pharmacy", 5 },
	{ "Pharmacy Technician", "Pharmacy", 3 },
	{ "Physiotherapist", "Therapies", 5 },
	{ "Radiographer", "Radiology", 5 },
	{ "Medical Secretary", "Outpatients", 6 },
	{ "Ward Clerk", "Wards", 4 },
	{ NULL, NULL, 0 },
};

#define GP_PRACTICE(ods, name, short_name, address, phone) \
	{ ods, name, short_name, "GP Practice", address, phone, gp_jobs, \
	  { { name, "gp_practice", address } } }

/* The ICB comes first: every other org is its child. */
static const struct demo_org demo_orgs[] = {
	{ DEMO_ICB, "NHS Wessex Vale Integrated Care Board", "ICB",
	  "Integrated Care Board",
	  "Vale House, 12 Abbey Road, Wessexford, WX1 2AB", "01632 960100",
	  icb_jobs, { { "Vale House", "other",
	  "Vale House, 12 Abbey Road, Wessexford, WX1 2AB" } } },
	GP_PRACTICE("J81001", "Riverside Surgery", "Riverside",
		"4 Mill Lane, Wessexford, WX1 4DP", "01632 960101"),
	GP_PRACTICE("J81002", "Abbey Medical Centre", "Abbey",
		"22 Abbey Road, Wessexford, WX1 3HQ", "01632 960102"),
	{ "J81003", "Millbrook Health Centre", "Millbrook", "GP Practice",
	  "Station Road, Millbrook, WX4 7JS", "01632 960103", gp_jobs,
	  { { "Millbrook Health Centre", "gp_practice",
	      "Station Road, Millbrook, WX4 7JS" },
	    { "Little Millbrook Branch Surgery", "gp_practice",
	      "The Green, Little Millbrook, WX4 8AA" } } },
	GP_PRACTICE("J81004", "Castle Street Practice", "Castle Street",
		"9 Castle Street, Kingsbury, WX6 1EF", "01632 960104"),
	GP_PRACTICE("J81005", "Harbourside Medical Practice", "Harbourside",
		"Quay Street, Portwell, WX9 2LN", "01632 960105"),
	GP_PRACTICE("J81006", "Downland Surgery", "Downland",
		"Church Walk, Ashcombe, WX12 5RT", "01632 960106"),
	{ "FA123", "Vale Pharmacy", "Vale Pharmacy", "Community Pharmacy",
	  "18 High Street, Wessexford, WX1 1AA", "01632 960107",
	  pharmacy_jobs, { { "Vale Pharmacy", "pharmacy",
	  "18 High Street, Wessexford, WX1 1AA" } } },
	{ "VN7K2", "Beech House Care Home", "Beech House", "Care Home",
	  "Beech Avenue, Kingsbury, WX6 3BX", "01632 960108", care_home_jobs,
	  { { "Beech House", "care_home",
	      "Beech Avenue, Kingsbury, WX6 3BX" } } },
	{ "RXV", "Wessex Vale Hospitals NHS Foundation Trust", "RXV",
	  "NHS Trust", "Infirmary Road, Wessexford, WX2 6QT", "01632 960109",
	  trust_jobs,
	  { { "Wessex Vale General Hospital", "nhs_trust_site",
	      "Infirmary Road, Wessexford, WX2 6QT" },
	    { "St Aldhelm's Community Hospital", "nhs_trust_site",
	      "Aldhelm Way, Millbrook, WX4 2PU" },
	    { "Riverside Outpatient Centre", "nhs_trust_site",
	      "5 Wharf Street, Wessexford, WX1 5RS" } } },
};

#define DEMO_ORG_COUNT (sizeof(demo_orgs) / sizeof(*demo_orgs))

/* People who share a name, to show numbered addresses: index, first, last. */
static const struct {
	size_t index;
	const char *first, *last;
} demo_namesakes[] = {
	{ 5, "James", "Smith" }, { 61, "James", "Smith" },
	{ 33, "Priya", "Patel" }, { 140, "Priya", "Patel" },
	{ 250, "Priya", "Patel" }, { 90, "Sarah", "Jones" },
	{ 210, "Sarah", "Jones" }, { 12, "Zoë", "Clarke" },
	{ 170, "Zoe", "Clarke" },
};

struct demo_person {
	const char *address;	/* in the session arena */
	const char *job;
	size_t org;		/* index into demo_orgs */
};

struct demo_counts {
	json_int_t orgs, sites, people, shared, resources, contacts, lists,
		members, owners, grants, roles;
};

struct demo {
	struct cli_session *s;
	const struct dir_ctx *ctx;
	uint64_t rng;
	char domain[256];
	struct demo_person people[DEMO_PEOPLE_MAX];
	size_t people_count;
	const char *care_home_office;	/* a shared mailbox, for a list */
	struct demo_counts n;
	/* Everyone's: the demo people are ready to send (SPEC M7). */
	struct auth_unknown_answers answers;
};

/* splitmix64: small, fast and the same on every platform. */
static uint64_t
demo_random(struct demo *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
demo_pick(struct demo *d, size_t n)
{
	return (size_t)(demo_random(d) % n);
}

/* The i-th of "A|B|C", wrapping round. */
static const char *
demo_nth(struct demo *d, const char *choices, size_t i)
{
	size_t count = 1;
	for (const char *p = choices; *p != '\0'; p++)
		count += *p == '|';
	i %= count;
	const char *start = choices;
	while (i-- > 0)
		start = strchr(start, '|') + 1;
	const char *end = strchr(start, '|');
	size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
	char buf[128];
	snprintf(buf, sizeof(buf), "%.*s", (int)len, start);
	const char *copy = arena_strdup(d->s->arena, buf);
	return copy != NULL ? copy : "";
}

static int
demo_org(struct demo *d, const struct demo_org *o, struct error *err)
{
	char helpdesk[320];
	snprintf(helpdesk, sizeof(helpdesk), "it.servicedesk@%s", d->domain);
	struct dir_org_fields f = {
		.ods = o->ods,
		.name = o->name,
		.type = o->type,
		.parent_ods = strcmp(o->ods, DEMO_ICB) != 0 ? DEMO_ICB : NULL,
		.postal_address = o->address,
		.description = o->type,
		.helpdesk_phone = "01632 960999",
		.helpdesk_email = helpdesk,
	};
	struct store_org org;
	if (dir_org_add(d->ctx, &f, &org, err) < 0)
		return -1;
	d->n.orgs++;
	for (size_t i = 0; i < DEMO_SITES_MAX && o->sites[i].name != NULL;
	     i++) {
		struct store_site site;
		if (dir_site_add(d->ctx, o->ods, o->sites[i].name,
			    o->sites[i].type, o->sites[i].address, &site,
			    err) < 0)
			return -1;
		d->n.sites++;
	}
	return 0;
}

static size_t
demo_site_count(const struct demo_org *o)
{
	size_t n = 0;
	while (n < DEMO_SITES_MAX && o->sites[n].name != NULL)
		n++;
	return n;
}

static void
demo_name(struct demo *d, const char **first_r, const char **last_r)
{
	*first_r = cli_demo_first_names[demo_pick(d,
		cli_demo_first_name_count)];
	*last_r = cli_demo_last_names[demo_pick(d, cli_demo_last_name_count)];
	for (size_t i = 0; i < sizeof(demo_namesakes) /
		     sizeof(*demo_namesakes); i++) {
		if (demo_namesakes[i].index == d->people_count) {
			*first_r = demo_namesakes[i].first;
			*last_r = demo_namesakes[i].last;
		}
	}
}

/* Two in three have a mobile; a third of those keep it out of the directory. */
static void
demo_phones(struct demo *d, struct dir_person_fields *f)
{
	size_t i = d->people_count;
	f->phone = arena_printf(d->s->arena, "01632 960%03zu", 200 + i % 790);
	if (demo_pick(d, 3) == 0)
		return;
	f->mobile = arena_printf(d->s->arena, "07700 900%03zu", i % 1000);
	f->mobile_hidden = demo_pick(d, 3) == 0 ? 1 : 0;
}

static int
demo_person(struct demo *d, size_t org, const struct demo_job *job,
	size_t nth, struct error *err)
{
	const struct demo_org *o = &demo_orgs[org];
	if (d->people_count >= DEMO_PEOPLE_MAX)
		return error_set(err, ERROR_INTERNAL, "too many demo people");
	struct dir_person_fields f = {
		.org_ods = o->ods,
		.job_title = job->title,
		.department = demo_nth(d, job->departments, nth),
		.mobile_hidden = -1,
	};
	demo_name(d, &f.first_name, &f.last_name);
	/* Most staff work at the main site; some at the others. */
	size_t sites = demo_site_count(o);
	f.site = o->sites[sites > 1 && nth % 4 == 3 ?
		1 + nth / 4 % (sites - 1) : 0].name;
	demo_phones(d, &f);
	struct store_person p;
	if (dir_person_add(d->ctx, &f, &p, err) < 0 ||
	    auth_seed_ready_to_send(d->ctx, &p, &d->answers, err) < 0)
		return -1;
	d->people[d->people_count++] = (struct demo_person){
		.address = p.address, .job = job->title, .org = org };
	d->n.people++;
	return 0;
}

static int
demo_org_people(struct demo *d, size_t org, struct error *err)
{
	for (const struct demo_job *job = demo_orgs[org].jobs;
	     job->title != NULL; job++) {
		for (int i = 0; i < job->count; i++) {
			if (demo_person(d, org, job, (size_t)i, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* The nth person (from 0) of an org with a job title, or NULL. */
static const char *
demo_find(const struct demo *d, size_t org, const char *job, size_t nth)
{
	for (size_t i = 0; i < d->people_count; i++) {
		const struct demo_person *p = &d->people[i];
		if (p->org == org && strcmp(p->job, job) == 0 && nth-- == 0)
			return p->address;
	}
	return NULL;
}

static int
demo_role(struct demo *d, const char *person, size_t org, const char *role,
	struct error *err)
{
	if (person == NULL)
		return 0;
	if (dir_role_add(d->ctx, person, demo_orgs[org].ods, role, err) < 0)
		return -1;
	d->n.roles++;
	return 0;
}

struct demo_pick_rule {
	const char *job;
	size_t nth;
};

/* The first person of an org who fits one of the rules, in order. */
static const char *
demo_first_fit(const struct demo *d, size_t org,
	const struct demo_pick_rule *rules, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const char *p = demo_find(d, org, rules[i].job, rules[i].nth);
		if (p != NULL)
			return p;
	}
	return NULL;
}

/* Each org's admins: its manager as PLA, an administrator as LA. */
static int
demo_roles(struct demo *d, size_t org, struct error *err)
{
	static const struct demo_pick_rule plas[] = {
		{ "Practice Manager", 0 }, { "Registered Manager", 0 },
		{ "IT Service Desk Analyst", 0 }, { "Pharmacist", 0 },
	};
	static const struct demo_pick_rule las[] = {
		{ "Administrator", 0 }, { "Deputy Manager", 0 },
		{ "IT Service Desk Analyst", 1 }, { "Pharmacist", 1 },
	};
	if (demo_role(d, demo_first_fit(d, org, plas, 4), org,
		    "primary_local_admin", err) < 0 ||
	    demo_role(d, demo_first_fit(d, org, las, 4), org, "local_admin",
		    err) < 0)
		return -1;
	if (strcmp(demo_orgs[org].ods, DEMO_ICB) != 0)
		return 0;
	return demo_role(d, demo_find(d, org, "IT Service Desk Analyst", 2),
		org, "helpdesk_admin", err);
}

static int
demo_grant(struct demo *d, const char *mailbox, const char *person,
	const char *right, struct error *err)
{
	if (person == NULL)
		return 0;
	if (dir_grant_add(d->ctx, mailbox, person, right, err) < 0)
		return -1;
	d->n.grants++;
	return 0;
}

static int
demo_owner(struct demo *d, const char *object, const char *person,
	struct error *err)
{
	if (person == NULL)
		return 0;
	if (dir_owner_add(d->ctx, object, person, err) < 0)
		return -1;
	d->n.owners++;
	return 0;
}

/* A shared mailbox named "<short name> <purpose>"; its address follows. */
static const char *
demo_shared(struct demo *d, size_t org, const char *purpose, const char *kind,
	struct error *err)
{
	char name[200];
	snprintf(name, sizeof(name), "%s %s", demo_orgs[org].short_name,
		purpose);
	struct store_mailbox m;
	if (dir_mailbox_add(d->ctx, demo_orgs[org].ods, kind, name, NULL, &m,
		    err) < 0)
		return NULL;
	if (m.kind == STORE_MAILBOX_SHARED)
		d->n.shared++;
	else
		d->n.resources++;
	return m.address;
}

/* Everyone of an org with a job title gets the right on the mailbox. */
static int
demo_grant_all(struct demo *d, const char *mailbox, size_t org,
	const char *job, const char *right, struct error *err)
{
	const char *person;
	for (size_t i = 0; (person = demo_find(d, org, job, i)) != NULL; i++) {
		if (demo_grant(d, mailbox, person, right, err) < 0)
			return -1;
	}
	return 0;
}

static int
demo_practice_mailboxes(struct demo *d, size_t org, struct error *err)
{
	const char *manager = demo_find(d, org, "Practice Manager", 0);
	const char *reception = demo_shared(d, org, "Reception", "shared",
		err);
	if (reception == NULL)
		return -1;
	const char *scripts = demo_shared(d, org, "Prescriptions", "shared",
		err);
	if (scripts == NULL ||
	    demo_owner(d, reception, manager, err) < 0 ||
	    demo_owner(d, scripts, manager, err) < 0 ||
	    demo_grant_all(d, reception, org, "Receptionist", "full_access",
		    err) < 0 ||
	    demo_grant(d, reception, manager, "send_as", err) < 0 ||
	    demo_grant(d, scripts, demo_find(d, org, "Pharmacist", 0),
		    "full_access", err) < 0 ||
	    demo_grant(d, scripts, demo_find(d, org, "Receptionist", 0),
		    "full_access", err) < 0)
		return -1;
	return demo_grant_all(d, scripts, org, "GP Partner", "send_on_behalf",
		err);
}

/* Mailboxes beyond the practices': a few per org, with an owner each. */
static int
demo_other_mailboxes(struct demo *d, size_t org, struct error *err)
{
	static const struct {
		const char *ods, *purpose, *kind, *owner_job, *member_job;
	} boxes[] = {
		{ "QWE", "Contracting Enquiries", "shared",
		  "Commissioning Manager", "Commissioning Manager" },
		{ "QWE", "Meeting Room", "resource", "Administrator", NULL },
		{ "FA123", "Orders", "shared", "Pharmacist", "Dispenser" },
		{ "VN7K2", "Office", "shared", "Registered Manager",
		  "Senior Care Worker" },
		{ "RXV", "Switchboard", "shared", "IT Service Desk Analyst",
		  "Ward Clerk" },
		{ "RXV", "Cardiology Bookings", "shared", "Medical Secretary",
		  "Medical Secretary" },
		{ "RXV", "Medicines Information", "shared", "Pharmacist",
		  "Pharmacist" },
		{ "RXV", "Seminar Room", "resource", "Medical Secretary",
		  NULL },
		{ "RXV", "Portable Ultrasound", "resource", "Radiographer",
		  NULL },
	};
	for (size_t i = 0; i < sizeof(boxes) / sizeof(*boxes); i++) {
		if (strcmp(boxes[i].ods, demo_orgs[org].ods) != 0)
			continue;
		const char *box = demo_shared(d, org, boxes[i].purpose,
			boxes[i].kind, err);
		if (box == NULL || demo_owner(d, box, demo_find(d, org,
			    boxes[i].owner_job, 0), err) < 0)
			return -1;
		if (strcmp(boxes[i].ods, "VN7K2") == 0)
			d->care_home_office = box;
		if (boxes[i].member_job != NULL &&
		    demo_grant_all(d, box, org, boxes[i].member_job,
			    "full_access", err) < 0)
			return -1;
	}
	return 0;
}

static const struct {
	const char *name, *address;
} demo_contacts[] = {
	{ "Wessex Vale Council Adult Social Care",
	  "adult.socialcare@wessexvale.gov.uk" },
	{ "Wessex Vale Council Children's Services",
	  "childrens.services@wessexvale.gov.uk" },
	{ "Wessex Police Safeguarding Hub",
	  "safeguarding.hub@wessex.pnn.police.uk" },
	{ "Vale Hospice Referrals", "referrals@valehospice.org.uk" },
	{ "Vale Community Transport", "bookings@valecommunitytransport.co.uk" },
	{ "Wessexford Dental Practice", "reception@wessexforddental.co.uk" },
};

static int
demo_add_contacts(struct demo *d, struct error *err)
{
	for (size_t i = 0; i < sizeof(demo_contacts) / sizeof(*demo_contacts);
	     i++) {
		struct store_contact c;
		if (dir_contact_add(d->ctx, DEMO_ICB, demo_contacts[i].name,
			    demo_contacts[i].address, &c, err) < 0)
			return -1;
		d->n.contacts++;
	}
	return 0;
}

static const char *
demo_list(struct demo *d, const char *ods, const char *name,
	const char *rule, struct error *err)
{
	struct store_list l;
	if (dir_list_add(d->ctx, ods, name, rule != NULL ? "dynamic" :
		    "static", NULL, rule, &l, err) < 0)
		return NULL;
	d->n.lists++;
	return l.address;
}

static int
demo_member(struct demo *d, const char *list, const char *member,
	struct error *err)
{
	if (member == NULL)
		return 0;
	if (dir_list_member_add(d->ctx, list, member, err) < 0)
		return -1;
	d->n.members++;
	return 0;
}

/* Adds everyone in the region with a job title to a list. */
static int
demo_members_by_job(struct demo *d, const char *list, const char *job,
	struct error *err)
{
	for (size_t i = 0; i < d->people_count; i++) {
		if (strcmp(d->people[i].job, job) == 0 &&
		    demo_member(d, list, d->people[i].address, err) < 0)
			return -1;
	}
	return 0;
}

static size_t
demo_org_index(const char *ods)
{
	for (size_t i = 0; i < DEMO_ORG_COUNT; i++) {
		if (strcmp(demo_orgs[i].ods, ods) == 0)
			return i;
	}
	return 0;
}

/* A safeguarding list mixes kinds: people, a contact, a shared mailbox. */
static int
demo_safeguarding(struct demo *d, const char *lead, struct error *err)
{
	const char *list = demo_list(d, DEMO_ICB, "Safeguarding Leads", NULL,
		err);
	if (list == NULL || demo_owner(d, list, lead, err) < 0)
		return -1;
	for (size_t org = 0; org < DEMO_ORG_COUNT; org++) {
		if (demo_orgs[org].jobs == gp_jobs &&
		    demo_member(d, list, demo_find(d, org, "GP Partner", 0),
			    err) < 0)
			return -1;
	}
	size_t home = demo_org_index("VN7K2"), trust = demo_org_index("RXV");
	if (demo_member(d, list, demo_find(d, home, "Registered Manager", 0),
		    err) < 0 ||
	    demo_member(d, list, demo_find(d, trust, "Consultant", 2),
		    err) < 0 ||
	    demo_member(d, list, demo_contacts[2].address, err) < 0)
		return -1;
	return demo_member(d, list, d->care_home_office, err);
}

static int
demo_lists(struct demo *d, struct error *err)
{
	size_t icb = demo_org_index(DEMO_ICB), trust = demo_org_index("RXV");
	const char *lead = demo_find(d, icb, "Clinical Lead", 0);
	const char *partners = demo_list(d, DEMO_ICB, "All GP Partners", NULL,
		err);
	if (partners == NULL || demo_owner(d, partners, lead, err) < 0 ||
	    demo_members_by_job(d, partners, "GP Partner", err) < 0)
		return -1;
	const char *managers = demo_list(d, DEMO_ICB, "Practice Managers",
		NULL, err);
	if (managers == NULL || demo_owner(d, managers, demo_find(d, icb,
		    "Commissioning Manager", 0), err) < 0 ||
	    demo_members_by_job(d, managers, "Practice Manager", err) < 0)
		return -1;
	const char *consultants = demo_list(d, "RXV", "RXV Consultants", NULL,
		err);
	if (consultants == NULL || demo_owner(d, consultants, demo_find(d,
		    trust, "Medical Secretary", 0), err) < 0 ||
	    demo_members_by_job(d, consultants, "Consultant", err) < 0)
		return -1;
	const char *leads = demo_list(d, DEMO_ICB, "ICB Clinical Leads", NULL,
		err);
	if (leads == NULL || demo_owner(d, leads, lead, err) < 0 ||
	    demo_members_by_job(d, leads, "Clinical Lead", err) < 0)
		return -1;
	/* Lists of lists: expansion resolves them and sends once each. */
	const char *region = demo_list(d, DEMO_ICB, "Region Clinical Leads",
		NULL, err);
	if (region == NULL || demo_owner(d, region, lead, err) < 0 ||
	    demo_owner(d, region, demo_find(d, icb, "Clinical Lead", 1),
		    err) < 0 ||
	    demo_member(d, region, partners, err) < 0 ||
	    demo_member(d, region, consultants, err) < 0 ||
	    demo_member(d, region, leads, err) < 0)
		return -1;
	const char *pharmacists = demo_list(d, DEMO_ICB, "All Pharmacists",
		"{\"orgs\": [\"" DEMO_ICB "\"], \"include_children\": true, "
		"\"job_titles\": [\"Pharmacist\"]}", err);
	if (pharmacists == NULL || demo_owner(d, pharmacists, demo_find(d,
		    icb, "Pharmacist", 0), err) < 0)
		return -1;
	return demo_safeguarding(d, lead, err);
}

static int
demo_build(struct demo *d, struct error *err)
{
	for (size_t i = 0; i < DEMO_ORG_COUNT; i++) {
		if (demo_org(d, &demo_orgs[i], err) < 0)
			return -1;
	}
	for (size_t i = 0; i < DEMO_ORG_COUNT; i++) {
		if (demo_org_people(d, i, err) < 0 || demo_roles(d, i, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < DEMO_ORG_COUNT; i++) {
		if (demo_orgs[i].jobs == gp_jobs &&
		    demo_practice_mailboxes(d, i, err) < 0)
			return -1;
		if (demo_other_mailboxes(d, i, err) < 0)
			return -1;
	}
	if (demo_add_contacts(d, err) < 0)
		return -1;
	return demo_lists(d, err);
}

/* The demo fills a fresh instance; a second run would only collide. */
static int
demo_refuse_twice(struct demo *d, struct error *err)
{
	for (size_t i = 0; i < DEMO_ORG_COUNT; i++) {
		struct store_org org;
		struct error inner;
		if (dir_org_get(d->ctx, demo_orgs[i].ods, &org, &inner) == 0)
			return error_set(err, ERROR_EXISTS,
				"this instance already has the demo "
				"organisation %s (%s); the demo only fills an "
				"instance that lacks its organisations",
				org.ods, org.name);
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
	}
	return 0;
}

static void
demo_print(const struct cli_args *args, const struct demo_counts *n)
{
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:I, s:I}", "organisations", n->orgs, "sites", n->sites,
		"people", n->people, "shared_mailboxes", n->shared,
		"resource_mailboxes", n->resources, "contacts", n->contacts,
		"lists", n->lists, "list_members", n->members, "owners",
		n->owners, "grants", n->grants, "roles", n->roles);
	if (!args->json)
		printf("Added the demo region: %s (%s) and the organisations "
			"under it.\n", demo_orgs[0].name, demo_orgs[0].ods);
	cli_print(args, j, NULL);
}

static int
demo_run(struct cli_args *args, struct demo *d, struct error *err)
{
	if (!config_list_item(d->s->inst->config, "mail.domains", 0, d->domain,
		    sizeof(d->domain)))
		return error_set(err, ERROR_INVALID,
			"no mail domain is configured: set mail.domains");
	if (demo_refuse_twice(d, err) < 0 ||
	    auth_unknown_answers_make(&d->answers, err) < 0)
		return -1;
	int rc = cli_begin(d->s, err);
	if (rc == 0)
		rc = cli_finish(d->s, demo_build(d, err), err);
	sodium_memzero(&d->answers, sizeof(d->answers));
	if (rc < 0)
		return -1;
	demo_print(args, &d->n);
	return 0;
}

int
cli_demo(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct demo d = { .s = &s, .ctx = &s.ctx, .rng = DEMO_SEED };
	int rc = demo_run(args, &d, err);
	cli_session_close(&s);
	return rc;
}
