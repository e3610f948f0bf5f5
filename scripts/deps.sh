#!/usr/bin/env bash
# Installs the Debian packages caremail builds, tests and runs with
# (ARCHITECTURE.md "Dependencies"). Idempotent and quick: apt is touched only
# when dpkg says a package is missing.
set -euo pipefail

packages=(
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	lld	# the linker of both builds: a third of ld's time (Makefile)
	llvm	# llvm-symbolizer, for readable sanitizer traces
	libsqlite3-dev sqlite3 libjansson-dev libsodium-dev
	libgnutls28-dev gnutls-bin libmicrohttpd-dev libgmime-3.0-dev
	libcmocka-dev libpq-dev libc-ares-dev
	postgresql-15	# the throwaway test cluster (scripts/pgcluster.sh)
	libzxcvbn-dev	# password guessability (src/auth/auth_policy.c)
	libcurl4-gnutls-dev	# the HTTPS client (src/core/https.c)
	libssl-dev	# DKIM's RSA signatures (src/mail/mail_dkim_key.c)
	libunbound-dev	# the validating DNS resolver (src/core/dns.c)
	libidn2-dev	# IDNA A-labels for the secure-domain match (mail_secure.c)
	libpsl-dev publicsuffix	# DMARC's organisational domain (mail_dmarc.c)
	dns-root-data	# /usr/share/dns/root.key, the DNSSEC root trust anchor
	python3 python3-pytest curl swaks openssl oathtool jq
	python3-pytest-xdist	# the integration and browser suites on several workers (Makefile)
	python3-dkim	# verifies our DKIM signatures (tests/integration/test_dkim.py)
	python3-spf	# SPF differential tests (tests/integration/test_auth_check.py)
	python3-aiosmtpd	# SMTP sinks for the outbound client tests
	libnet-ssleay-perl	# swaks --tls (the README's mail example)
	python3-dnslib	# the DNS stub of the tests (tests/lib/dnsstub.py)
	python3-psycopg2	# the tests' SQL on PostgreSQL (pg_sql, tests/integration/conftest.py)
	# The fake S3 store (tests/lib/s3stub.py) checks each request's SigV4
	# signature with botocore's own signer, not ours (tests/unit/test_blob_s3.c).
	python3-botocore
	ldnsutils	# ldns-keygen, ldns-signzone: a signed test zone
	# A real Prometheus scrapes /metrics (tests/integration/test_metrics.py),
	# started by the test on its own port and storage directory, so a
	# system service the package may start does not get in its way.
	prometheus
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) ||
		status=""
	[ "$status" = "installed" ] || missing+=("$p")
done

# The web pages are built with node and npm (web/, docs/web.md) and tested
# in Chromium (tests/browser/). Asked for by command, not package: a node
# from elsewhere that brings its own npm does as well as Debian's.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all present"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
	>/dev/null
echo "deps: installed ${missing[*]}"
