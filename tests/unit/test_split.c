/*
 * test_split.c - the shard of a trace is FNV-1a 64 of its id modulo n,
 * as agraph-trace(1) writes it down, so that a change to the hash that
 * would move traces between shards cut on different hosts fails here;
 * records are keyed as the checker keys them; shard files are named as
 * split(1) names its pieces; the splitter writes each record to its
 * shard, one shard to a writer or each to a file.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agraph.h"
#include "tap.h"

/* FNV-1a 64 of s modulo 2^64, from the published test values. */
static const struct {
	const char *s;
	uint64_t h;
} fnv[] = {
	{ "", 0xcbf29ce484222325u },
	{ "a", 0xaf63dc4c8601ec8cu },
	{ "foobar", 0x85944171f73967e8u },
};

static uint64_t
record_shard(const char *line, uint64_t n)
{
	agr_record *rec = agr_record_new();
	agr_error e;
	uint64_t s = UINT64_MAX;

	if (agr_record_set(rec, line, strlen(line), "test", 1, &e))
		s = agr_record_shard(rec, n);
	agr_record_free(rec);
	return s;
}

static bool
named(const char *prefix, uint64_t shard, uint64_t n, bool digits, const char *want)
{
	char *got = agr_shard_name(prefix, shard, n, digits);
	bool same = strcmp(got, want) == 0;

	if (!same)
		diag("shard %ju of %ju: %s, not %s", (uintmax_t)shard, (uintmax_t)n, got, want);
	free(got);
	return same;
}

/* An agr_write_fn that keeps the lines it is handed. */
static void
keep(void *ctx, const char *bytes, size_t len)
{
	char *buf = ctx;

	strncat(buf, bytes, len);
	strcat(buf, "\n");
}

/* Feeds the lines (NULL-ended) to s; false when a feed fails. */
static bool
feed(agr_splitter *s, const char *const *lines)
{
	agr_record *rec = agr_record_new();
	agr_error e;
	bool fed = true;

	for (long i = 0; fed && lines[i] != NULL; i++)
		fed = agr_record_set(rec, lines[i], strlen(lines[i]), "test", i + 1, &e) &&
		      agr_splitter_feed(s, rec, &e);
	agr_record_free(rec);
	return fed;
}

/* What the file at path holds, up to cap - 1 bytes. */
static const char *
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(buf, 1, cap - 1, f) : 0;

	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
	return buf;
}

int
main(void)
{
	char id[300];
	int bad = 0;

	for (size_t i = 0; i < sizeof fnv / sizeof fnv[0]; i++) {
		/* n past every hash: the shard is the hash itself */
		bad += agr_shard(fnv[i].s, strlen(fnv[i].s), UINT64_MAX) != fnv[i].h % UINT64_MAX;
		bad += agr_shard(fnv[i].s, strlen(fnv[i].s), 7) != fnv[i].h % 7;
	}
	ok(bad == 0, "agr_shard is FNV-1a 64 of the id's bytes modulo n");
	ok(agr_shard("r2", 2, 4) == 1 && agr_shard("r1", 2, 4) == 0,
	   "the header's example: r2 in shard 1 of 4, r1 in 0");
	ok(agr_shard("abc", 3, 1) == 0 && agr_shard("abc", 3, 0) == 0, "n 1, and 0, is one shard");

	ok(record_shard("{\"trace\":\"r2\",\"step\":1,\"kind\":\"call\"}", 4) == 1,
	   "a record goes to the shard of its trace id");
	ok(record_shard("{\"trace\":\"\\u0072\\u0032\",\"kind\":\"call\"}", 4) == 1,
	   "an id written with escapes is the id it decodes to, as the checker reads it");
	ok(record_shard("{\"step\":1,\"kind\":\"call\"}", 1000) == agr_shard("", 0, 1000) &&
	       record_shard("{\"trace\":5,\"kind\":\"call\"}", 1000) == agr_shard("", 0, 1000),
	   "no trace id, or one that is not a string, is trace \"\"");
	memset(id, 'q', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	snprintf(id + 250, 50, "-long-id");
	{
		char line[400];

		snprintf(line, sizeof line, "{\"kind\":\"call\",\"trace\":\"%s\"}", id);
		ok(record_shard(line, 1000) == agr_shard(id, strlen(id), 1000),
		   "a long id is hashed whole");
	}

	ok(named("x", 0, 4, false, "xaa") && named("x", 3, 4, false, "xad") &&
	       named("x", 27, 100, false, "xbb") && named("x", 675, 676, false, "xzz"),
	   "letters: two while n is at most 676");
	ok(named("x", 0, 677, false, "xaaa") && named("x", 699, 700, false, "xbax"),
	   "letters: three past 676, as split -n 700 names them");
	ok(named("shard.", 0, 3, true, "shard.00") && named("p", 99, 100, true, "p99") &&
	       named("p", 100, 101, true, "p100") && named("", 0, 1, true, "00"),
	   "digits: two, or as many as the last shard needs");
	{
		/* r1 is in shard 0 of 4, r2 in 1. */
		static const char *const lines[] = { "{\"trace\":\"r1\",\"kind\":\"call\"}",
			                             "{\"trace\":\"r2\", \"kind\":\"call\"}",
			                             "{\"trace\":\"r1\",\"kind\":\"final\"}",
			                             NULL };
		char got[256] = "", dir[] = "/tmp/test_split.XXXXXX", path[64], held[256];
		agr_splitter *s = agr_splitter_new_one(4, 1, keep, got);
		agr_error e;

		ok(feed(s, lines) && agr_splitter_finish(s, NULL, NULL) &&
		       strcmp(got, "{\"trace\":\"r2\", \"kind\":\"call\"}\n") == 0,
		   "a splitter of one shard hands its records over, bytes as they were");
		agr_splitter_free(s);

		if (mkdtemp(dir) == NULL || chdir(dir) != 0)
			return 1;
		s = agr_splitter_new_files(4, "s.", true, NULL, false, &e);
		ok(s != NULL && access("s.03", F_OK) == 0,
		   "a splitter of files makes them all at once");
		ok(feed(s, lines) && agr_splitter_finish(s, NULL, NULL), "and writes them");
		agr_splitter_free(s);
		ok(strcmp(slurp("s.00", held, sizeof held),
		          "{\"trace\":\"r1\",\"kind\":\"call\"}\n"
		          "{\"trace\":\"r1\",\"kind\":\"final\"}\n") == 0 &&
		       strcmp(slurp("s.01", held, sizeof held),
		              "{\"trace\":\"r2\", \"kind\":\"call\"}\n") == 0 &&
		       strcmp(slurp("s.02", held, sizeof held), "") == 0,
		   "each trace's records in its shard's file, in order, a line each");
		ok(agr_splitter_new_files(4, "s.", true, "s.02", false, &e) == NULL &&
		       strcmp(e.text, "s.02 would overwrite the input; nothing written") == 0 &&
		       e.source[0] == '\0',
		   "a shard file that is the input is refused: %s", e.text);
		for (int k = 0; k < 4; k++) {
			snprintf(path, sizeof path, "s.%02d", k);
			unlink(path);
		}
		ok(agr_splitter_new_files(2, "no/such/", false, NULL, false, &e) == NULL &&
		       strcmp(e.text, "no/such/aa: No such file or directory") == 0,
		   "a shard file that cannot be made is an error at its name: %s", e.text);
		if (chdir("/") != 0 || rmdir(dir) != 0)
			return 1;
	}
	return done_testing();
}
