#!/usr/bin/env bash
# States are enums with one parse and one name function each (issue 9 item
# 2): no C file under src/ may compare one of a state's names as a string
# (strcmp and friends) except inside that state's parse functions. The
# compiler already refuses a string comparison on an enum field; this
# catches the rest, a name compared with text from anywhere else.
# Usage: scripts/check-states.sh  (CHECK_STATES_ROOT: the tree to check).
set -euo pipefail
cd "${CHECK_STATES_ROOT:-$(dirname "$0")/..}"

# One line a state: its names, then the functions (file:function) that may
# compare them. What holds an address (struct dir_object's kind) is an
# enum too, named by dir_holder_name and never parsed from text.
states=(
	"person status|active disabled leaver deleted inactive|src/dir/dir_states.c:dir_person_status_parse src/store/store_person.c:store_person_status_from_text src/dir/dir_states.c:dir_mailbox_status_parse src/store/store_mailbox.c:status_from_text"
	"mailbox status|active deleted|src/dir/dir_states.c:dir_mailbox_status_parse src/store/store_mailbox.c:status_from_text src/dir/dir_states.c:dir_person_status_parse src/store/store_person.c:store_person_status_from_text"
	"mailbox kind|user shared resource|src/dir/dir_states.c:dir_mailbox_kind_parse src/store/store_mailbox.c:kind_from_text"
	"address holder|person contact list|src/dir/dir_registry.c:dir_holder_name"
	"grant right|full_access send_as send_on_behalf|src/dir/dir_states.c:dir_grant_right_parse src/store/store_access.c:right_from_text"
	"list kind|static dynamic|src/dir/dir_states.c:dir_list_kind_parse src/store/store_list.c:list_text_parse"
	"list state|approved pending rejected|src/dir/dir_states.c:dir_list_state_parse src/store/store_list.c:list_text_parse"
	"queue status|queued in_flight delivered failed|src/store/store_queue.c:status_from_text"
)

compare='(strcmp|strcasecmp|strncmp|strncasecmp|str_eq|str_eq_nocase|span_eq|span_eq_nocase|span_eq_cstr)[[:space:]]*\('

failures=0
for entry in "${states[@]}"; do
	IFS='|' read -r label words allowed <<<"$entry"
	pattern=$(printf '"%s"|' $words)
	pattern="(${pattern%|})"
	# awk tracks the function each line is in: a definition starts at
	# column 0 with its name and "(", after its type on the line before.
	while IFS= read -r hit; do
		echo "check-states: $hit: $label compared as a string; parse it" \
			"once and compare the enum" >&2
		failures=$((failures + 1))
	done < <(find src -name '*.c' -print0 | sort -z |
		xargs -0 awk -v compare="$compare" -v pattern="$pattern" \
			-v allowed=" $allowed " '
			FNR == 1 { fn = "" }
			/^[A-Za-z_][A-Za-z0-9_]*\(/ {
				fn = $0; sub(/\(.*/, "", fn)
			}
			$0 ~ compare && $0 ~ pattern &&
			index(allowed, " " FILENAME ":" fn " ") == 0 {
				print FILENAME ":" FNR " (" fn ")"
			}')
done
if [ "$failures" -gt 0 ]; then
	echo "check-states: $failures string comparison(s) of a state" >&2
	exit 1
fi
echo "check-states: ok (${#states[@]} state(s))"
