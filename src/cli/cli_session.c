/*
 * One command's session: the instance named by --dir with its --set
 * overrides, a store connection, an arena and the dir_ctx the directory
 * calls take. The CLI is the outermost layer, so it reads the clock here.
 * Layer: front end.
 */
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "instance/instance.h"

/*
 * Changes made from the shell are audited as "cli:" and the operating
 * system account that ran the command, so the trail says who.
 */
static const char *
cli_actor(struct arena *a)
{
	struct passwd *pw = getpwuid(geteuid());
	if (pw != NULL && pw->pw_name != NULL)
		return arena_printf(a, "cli:%s", pw->pw_name);
	return arena_printf(a, "cli:uid-%ld", (long)geteuid());
}

void
cli_log_level(const struct config *config)
{
	enum log_level level;
	if (log_level_parse(config_get_str(config, "log.level"), &level))
		log_set_level(level);
}

int
cli_settings_open(struct cli_args *args, struct cli_settings *s,
	struct error *err)
{
	memset(s, 0, sizeof(*s));
	if (args->dir != NULL) {
		s->inst = instance_open(args->dir, args->sets, args->set_count,
			err);
		if (s->inst == NULL)
			return -1;
		s->config = s->inst->config;
	} else {
		s->own = config_new();
		s->config = s->own;
		for (size_t i = 0; i < args->set_count; i++) {
			if (config_set(s->own, args->sets[i], err) < 0) {
				cli_settings_close(s);
				return -1;
			}
		}
	}
	cli_log_level(s->config);
	return 0;
}

const char *
cli_settings_dir(const struct cli_settings *s)
{
	return s->inst != NULL ? s->inst->dir : NULL;
}

void
cli_settings_close(struct cli_settings *s)
{
	instance_close(&s->inst);
	config_free(&s->own);
	s->config = NULL;
}

int
cli_session_open(struct cli_args *args, struct cli_session *s,
	struct error *err)
{
	memset(s, 0, sizeof(*s));
	if (args->dir == NULL)
		return cli_usage(args, err,
			"no instance directory given: pass --dir DIR or set "
			"CAREMAIL_DIR");
	s->inst = instance_open(args->dir, args->sets, args->set_count, err);
	if (s->inst == NULL)
		return -1;
	cli_log_level(s->inst->config);
	s->store = instance_store(s->inst, err);
	if (s->store == NULL) {
		instance_close(&s->inst);
		return -1;
	}
	s->arena = arena_new(CLI_ARENA_CAP);
	instance_dir_ctx(s->inst, s->store, s->arena, cli_actor(s->arena),
		clock_now(), &s->ctx);
	s->ctx.client = "cli";
	return 0;
}

void
cli_session_close(struct cli_session *s)
{
	instance_store_close(&s->store);
	arena_free(&s->arena);
	instance_close(&s->inst);
}

int
cli_with_session(struct cli_args *args,
	int (*fn)(struct cli_args *, struct cli_session *, struct error *),
	struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = fn(args, &s, err);
	cli_session_close(&s);
	return rc;
}

const char *
cli_org_ods(struct cli_session *s, int64_t org_id)
{
	if (org_id == 0)
		return "";
	if (!s->have_orgs) {
		struct error err;
		if (dir_org_list(&s->ctx, &s->orgs, &s->org_count, &err) < 0)
			s->org_count = 0;
		s->have_orgs = true;
	}
	for (size_t i = 0; i < s->org_count; i++) {
		if (s->orgs[i].id == org_id)
			return s->orgs[i].ods;
	}
	return "";
}

const char *
cli_site_name(struct cli_session *s, int64_t site_id)
{
	if (site_id == 0)
		return "";
	if (!s->have_sites) {
		struct error err;
		if (dir_site_list(&s->ctx, NULL, &s->sites, &s->site_count,
			    &err) < 0)
			s->site_count = 0;
		s->have_sites = true;
	}
	for (size_t i = 0; i < s->site_count; i++) {
		if (s->sites[i].id == site_id)
			return s->sites[i].name;
	}
	return "";
}

int
cli_begin(struct cli_session *s, struct error *err)
{
	return dir_begin(&s->ctx, err);
}

int
cli_finish(struct cli_session *s, int rc, struct error *err)
{
	return dir_finish(&s->ctx, rc, err);
}
