#!/usr/bin/env bash
# `make run`: creates a demo instance in var/demo on first use (a random admin
# password, kept in var/demo/demo-admin-password with mode 0600; permanent,
# so the README's API tour can sign in with it every time), prints how to
# reach it and then serves it in the foreground. CAREMAIL_DEMO_DIR moves
# the instance (the tests use their own). Each argument
# section.key=value overrides a setting for this run only (`make run
# SET='smtp.listen=127.0.0.1:2526'`), e.g. to move a port that is taken.
# CAREMAIL_DEMO_PREPARE_ONLY=1 makes the instance (and its DKIM key) and
# stops before serving: scripts/demo-outbound.py starts its loopback
# servers in between.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A overrides=()
set_args=()
for arg in "$@"; do
	if [[ ! $arg =~ ^([a-z_0-9]+)\.([a-z_0-9]+)=(.*)$ ]]; then
		echo "run-demo: $arg is not section.key=value" \
			"(e.g. smtp.listen=127.0.0.1:2526)" >&2
		exit 2
	fi
	overrides[${BASH_REMATCH[1]}.${BASH_REMATCH[2]}]=${BASH_REMATCH[3]}
	set_args+=(--set "$arg")
done

bin=${CAREMAIL_BIN:-build/caremail}
dir=${CAREMAIL_DEMO_DIR:-var/demo}
domain=demo.caremail.test
admin=admin@$domain
password_file=$dir/demo-admin-password
people_file=$dir/demo-people

# The value of KEY in [SECTION] of a caremail config file, or this run's
# override of it.
config_value() {
	if [ -n "${overrides[$2.$3]+set}" ]; then
		printf '%s\n' "${overrides[$2.$3]}"
		return
	fi
	awk -v section="[$2]" -v key="$3" '
		/^[[:space:]]*\[/ { in_section = ($1 == section); next }
		in_section && $1 == key && $2 == "=" {
			sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]+$/, "")
			print; exit
		}' "$1"
}

if [ ! -f "$dir/caremail.conf" ]; then
	password=$(openssl rand -base64 18 | tr '+/' 'xy')
	mkdir -p "$(dirname "$dir")"
	printf '%s\n' "$password" |
		"$bin" init --dir "$dir" --domain "$domain" --admin "$admin" \
			--admin-password-stdin
	# A demo is signed into again and again: the password stays the one
	# printed below (the admin still sets up TOTP on first sign-in).
	printf '%s\n' "$password" |
		"$bin" user passwd --dir "$dir" "$admin" --stdin --permanent
	(umask 077 && printf '%s\n' "$password" >"$password_file")
	chmod 600 "$password_file"
	if ! "$bin" demo --dir "$dir"; then
		echo "run-demo: loading the demo data failed;" \
			"remove $dir and run again" >&2
		exit 1
	fi
	# Two colleagues in one practice get a password, so a newcomer can
	# send mail between them and read it with any mail client; it is
	# --permanent because mail programs refuse a temporary password. They
	# hold no admin role: an admin's mail program needs an app password.
	# No "+" (or "/"): swaks, as the README uses it, takes an argument
	# starting with "+" for an option (Perl's Getopt::Long), so one
	# demo in 64 could not send.
	people_password=$(openssl rand -base64 12 | tr '+/' 'xy')
	people=
	for person in $("$bin" user list --dir "$dir" --org J81001 \
		--limit 50 --json | /usr/bin/python3 -c 'import json,sys
print(" ".join(p["address"] for p in json.load(sys.stdin)))'); do
		"$bin" user show --dir "$dir" "$person" --json |
			/usr/bin/python3 -c 'import json,sys
sys.exit(1 if json.load(sys.stdin)["roles"] else 0)' || continue
		people="$people${people:+ }$person"
		count=$((${count:-0} + 1))
		if [ "$count" -eq 2 ]; then
			break
		fi
	done
	for person in $people; do
		printf '%s\n' "$people_password" |
			"$bin" user passwd --dir "$dir" "$person" --stdin --permanent
	done
	(umask 077 && printf '%s %s\n' "$people_password" "$people" \
		>"$people_file")
fi

# The demo domain signs the mail it sends to other domains (DKIM), as a
# real one would; also for a var/demo made before it did.
if ! "$bin" dkim show --dir "$dir" --domain "$domain" >/dev/null 2>&1; then
	"$bin" dkim keygen --dir "$dir" --domain "$domain" >/dev/null
fi
if [ "${CAREMAIL_DEMO_PREPARE_ONLY:-0}" = 1 ]; then
	exit 0
fi

listen=$(config_value "$dir/caremail.conf" http listen)
tls=$(config_value "$dir/caremail.conf" http tls)
listen=${listen:-127.0.0.1:8080}
case "${tls:-on}" in
off | false | no | 0) scheme=http ;;
*) scheme=https ;;
esac

echo
if [ "$listen" = off ]; then
	echo "  HTTP is off in $dir/caremail.conf"
else
	echo "  in a browser:  $scheme://$listen/  (sign in as the admin below)"
	echo "  health check:  $scheme://$listen/healthcheck"
	echo "  API:           $scheme://$listen/api/v1/openapi.json" \
		"(a tour: README, \"The portal API\")"
	[ "$scheme" = http ] ||
		echo "                 (self-signed certificate: $dir/tls/cert.pem)"
fi
for name in smtp submission submissions relay imap imaps pop3 pop3s; do
	echo "  $(printf '%-14s' "$name:") $(config_value "$dir/caremail.conf" "$name" listen)"
done
echo "  admin:         $admin"
if [ -r "$password_file" ]; then
	echo "  password:      $(cat "$password_file")"
else
	echo "  password:      not recorded ($password_file is missing)"
fi
if [ -s "$dir/demo-admin-totp" ]; then
	echo "  admin TOTP:    oathtool --totp -b \"\$(cat $dir/demo-admin-totp)\"" \
		"(set up by the API tour)"
fi
if [ -r "$people_file" ]; then
	read -r people_password people <"$people_file"
	echo "  demo people:   $people"
	echo "  their password: $people_password"
fi
echo "  (a port taken? make run SET='smtp.listen=127.0.0.1:2526 ...';" \
	"README, \"A port already taken?\")"
echo

# The web pages `make` builds (docs/web.md), unless this run names others.
if [ -z "${overrides[http.web_root]+set}" ]; then
	set_args=(--set "http.web_root=$PWD/build/web" ${set_args[@]+"${set_args[@]}"})
fi

exec "$bin" serve --dir "$dir" ${set_args[@]+"${set_args[@]}"}
