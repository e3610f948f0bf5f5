/*
 * The password policy (SECURITY.md 37, NIST SP 800-63B §5.1.1.2): 12 to
 * 256 characters, no composition rules, and nothing easy to guess — not
 * the person's name or address, not a common or breached password, not a
 * dictionary word with small changes, not a keyboard run or sequence.
 * Layer: domain.
 *
 * Guessability is judged by zxcvbn-c (Debian libzxcvbn): its built-in
 * lists are the 10,000 passwords most seen in breaches (Burnett), English
 * words, names and surnames, and it sees through capitals, l33t spelling,
 * appended digits and dates, repeats, sequences and keyboard patterns.
 * cracklib was tried first and left out: with Debian's dictionary it
 * accepts "password1234" and "qwertyuiop123" (its mangling rules do not
 * strip four digits or see keyboard rows), which zxcvbn refuses.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zxcvbn.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/fold.h"
#include "core/str.h"

/*
 * zxcvbn's estimate, in bits, below which a password is refused. 40 bits
 * is about 10^12 guesses: beyond any online attack (12 tries, then the
 * lock) and, against Argon2id at 19 MiB a guess, beyond an offline one of
 * years; zxcvbn itself calls 10^10 "very unguessable". Three or four
 * ordinary words ("correct horse battery staple": 70) pass easily; a word
 * with digits or a year ("Summer2026!!": 20) does not.
 */
#define AUTH_PASSWORD_MIN_BITS 40.0

/* Name and address words shorter than this are not looked for. */
#define OWNER_WORD_MIN 3
#define OWNER_WORDS_MAX 24

/* zxcvbn-c is not documented as thread-safe: one check at a time. */
static pthread_mutex_t zxcvbn_lock = PTHREAD_MUTEX_INITIALIZER;

struct owner_words {
	const char *word[OWNER_WORDS_MAX + 1];	/* folded; NULL-terminated */
	const char *kind[OWNER_WORDS_MAX];	/* "name" or "email address" */
	size_t count;
};

static void
add_word(struct owner_words *w, const char *word, const char *kind)
{
	if (word == NULL || strlen(word) < OWNER_WORD_MIN ||
	    w->count == OWNER_WORDS_MAX)
		return;
	for (size_t i = 0; i < w->count; i++) {
		if (strcmp(w->word[i], word) == 0)
			return;
	}
	w->kind[w->count] = kind;
	w->word[w->count++] = word;
	w->word[w->count] = NULL;
}

/* text's folded words, each also without trailing digits ("smith1"). */
static void
add_words(struct owner_words *w, const char *text, const char *kind,
	struct arena *a)
{
	char **words = NULL;
	size_t n = 0;
	if (text == NULL || fold_words(text, 64, a, &words, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		add_word(w, words[i], kind);
		size_t len = strlen(words[i]);
		while (len > 0 && words[i][len - 1] >= '0' &&
		       words[i][len - 1] <= '9')
			len--;
		if (len < strlen(words[i]))
			add_word(w, arena_strndup(a, words[i], len), kind);
	}
}

static void
owner_words(const struct auth_password_owner *o, struct arena *a,
	struct owner_words *w)
{
	memset(w, 0, sizeof(*w));
	if (o == NULL)
		return;
	if (o->address != NULL) {
		char *folded = fold_text(o->address, a);
		const char *at = folded != NULL ? strrchr(folded, '@') : NULL;
		add_word(w, folded, "email address");
		if (at != NULL) {
			/*
			 * The local part whole; its words are mostly the
			 * names, looked for as names below.
			 */
			add_word(w, arena_strndup(a, folded,
				(size_t)(at - folded)), "email address");
		}
	}
	add_words(w, o->first_name, "name", a);
	add_words(w, o->last_name, "name", a);
	add_words(w, o->display_name, "name", a);
}

/* What a kind of zxcvbn match says about a password, or NULL. */
static const char *
match_words(ZxcTypeMatch_t type)
{
	switch ((int)type & ~MULTIPLE_MATCH) {
	case DICTIONARY_MATCH:
		return "a common password or word";
	case DICT_LEET_MATCH:
		return "a common word with letters swapped for look-alikes";
	case USER_MATCH:
	case USER_LEET_MATCH:
		return "your name or address, disguised";
	case REPEATS_MATCH:
		return "repeated characters or words";
	case SEQUENCE_MATCH:
		return "a sequence such as 1234 or abcd";
	case SPATIAL_MATCH:
		return "a run of keys next to each other, such as qwerty";
	case DATE_MATCH:
	case YEAR_MATCH:
		return "a date or a year";
	default:
		return NULL;	/* brute force: the strong part */
	}
}

/* "it is made of A, B and C" from the matches, at most four kinds. */
static void
explain(const ZxcMatch_t *info, size_t password_len, char *out, size_t size)
{
	const char *kinds[4];
	size_t n = 0;
	for (const ZxcMatch_t *m = info; m != NULL; m = m->Next) {
		const char *words = match_words(m->Type);
		bool seen = words == NULL;
		for (size_t i = 0; i < n && !seen; i++)
			seen = kinds[i] == words;
		if (!seen && n < 4)
			kinds[n++] = words;
	}
	if (info != NULL && info->Next == NULL &&
	    ((int)info->Type & ~MULTIPLE_MATCH) == DICTIONARY_MATCH &&
	    (size_t)info->Length == password_len) {
		snprintf(out, size, "it is in a list of common passwords and "
			"words");
		return;
	}
	if (n == 0) {
		snprintf(out, size, "it is too short for the characters it "
			"uses");
		return;
	}
	size_t used = (size_t)snprintf(out, size, "it is made of %s",
		kinds[0]);
	for (size_t i = 1; i < n && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
			i + 1 == n ? " and " : ", ", kinds[i]);
}

int
auth_password_check_policy(const char *password,
	const struct auth_password_owner *owner, struct error *err)
{
	size_t len = password != NULL ? strlen(password) : 0;
	if (len < AUTH_PASSWORD_MIN)
		return error_set_field(err, ERROR_INVALID, "password",
			"a password needs at least %d characters",
			AUTH_PASSWORD_MIN);
	if (len > AUTH_PASSWORD_MAX)
		return error_set_field(err, ERROR_INVALID, "password",
			"a password can have at most %d characters",
			AUTH_PASSWORD_MAX);
	bool all_same = true;
	for (size_t i = 1; i < len; i++)
		all_same = all_same && password[i] == password[0];
	if (all_same)
		return error_set_field(err, ERROR_INVALID, "password",
			"a password cannot be one character repeated");
	/* Room for the folded password and the owner's words. */
	struct arena *a = arena_new(16 * 1024);
	struct owner_words w;
	owner_words(owner, a, &w);
	const char *folded = fold_text(password, a);
	for (size_t i = 0; folded != NULL && i < w.count; i++) {
		if (strstr(folded, w.word[i]) != NULL) {
			const char *kind = w.kind[i];
			arena_free(&a);
			return error_set_field(err, ERROR_INVALID, "password",
				"this password is too easy to guess: it "
				"contains your %s; choose one that does not",
				kind);
		}
	}
	ZxcMatch_t *info = NULL;
	pthread_mutex_lock(&zxcvbn_lock);
	double bits = ZxcvbnMatch(password, w.word, &info);
	pthread_mutex_unlock(&zxcvbn_lock);
	arena_free(&a);
	if (bits >= AUTH_PASSWORD_MIN_BITS) {
		ZxcvbnFreeInfo(info);
		return 0;
	}
	char why[200];
	explain(info, len, why, sizeof(why));
	ZxcvbnFreeInfo(info);
	return error_set_field(err, ERROR_INVALID, "password",
		"this password is too easy to guess: %s; a few unrelated "
		"words make a strong one", why);
}
