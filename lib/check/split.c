/*
 * split.c - the shard a trace goes to when a corpus is cut by trace id
 * for many machines (agraph-trace split), the names of shard files, and
 * the splitter that writes each record to its shard: one to a caller's
 * writer (-n k/n), or all, a file each (-n n).
 *
 * The shard is a function of the id's bytes alone, written down in
 * agraph-trace(1), so that shards cut on different hosts, by different
 * builds or by another language's few lines agree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "check/check_int.h"

uint64_t
agr_shard(const char *id, size_t len, uint64_t n)
{
	/* AGRP_HASH_SEED is FNV-1a's offset basis: this is plain FNV-1a 64,
	 * which test_split holds to the published values. */
	return agrp_hash_bytes(AGRP_HASH_SEED, id, len) % (n > 0 ? n : 1);
}

uint64_t
agr_record_shard(const agr_record *rec, uint64_t n)
{
	char buf[256];
	/* As the checker keys a record: its decoded "trace", else "" (absent,
	 * or not a string, which well-formed then reports in trace ""). */
	const char *id = agrp_record_str(rec, "trace", buf, sizeof buf);

	if (id == NULL)
		id = "";
	return agr_shard(id, strlen(id), n);
}

char *
agr_shard_name(const char *prefix, uint64_t shard, uint64_t n, bool digits)
{
	const unsigned base = digits ? 10 : 26;
	size_t width = 1, plen = strlen(prefix);
	char *name;

	/* As split(1) -n sizes its suffixes: at least two characters, and
	 * as many as the last shard needs. */
	for (uint64_t last = n > 0 ? n - 1 : 0; last >= base; last /= base)
		width++;
	if (width < 2)
		width = 2;
	name = agrp_xmalloc(plen + width + 1);
	memcpy(name, prefix, plen);
	name[plen + width] = '\0';
	for (size_t i = plen + width; i > plen; i--, shard /= base)
		name[i - 1] = (char)((digits ? '0' : 'a') + shard % base);
	return name;
}

/* ---- the splitter --------------------------------------------------- */

struct agr_splitter {
	uint64_t n;
	uint64_t only; /* without files: the shard handed to out */
	agr_write_fn out;
	void *ctx;
	FILE **files; /* a file a shard; NULL: shard only to out */
	char **names;
	bool flush;
	bool failed; /* a feed failed and said so: finish says no more */
};

agr_splitter *
agr_splitter_new_one(uint64_t n, uint64_t only, agr_write_fn out, void *ctx)
{
	agr_splitter *s = agrp_xcalloc(1, sizeof *s);

	s->n = n > 0 ? n : 1;
	s->only = only;
	s->out = out;
	s->ctx = ctx;
	return s;
}

/* Whether writing name would truncate the input (at in), as split(1)
 * refuses to. */
static bool
is_input(const char *name, const struct stat *in)
{
	struct stat st;

	return in != NULL && stat(name, &st) == 0 && st.st_dev == in->st_dev &&
	       st.st_ino == in->st_ino;
}

agr_splitter *
agr_splitter_new_files(uint64_t n, const char *prefix, bool digits, const char *input, bool flush,
                       agr_error *err)
{
	struct stat in_st;
	struct rlimit lim;
	bool have_in = false;
	agr_splitter *s;

	/* The files are open together: more than may be is refused before
	 * one is made. */
	n = n > 0 ? n : 1;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
	    (lim.rlim_cur < 8 || n > (uint64_t)lim.rlim_cur - 8)) {
		agrp_error_set(err, "", 0, 0,
		               "-n %" PRIu64
		               ": more files than may be open at once (%ju, ulimit -n)",
		               n, (uintmax_t)lim.rlim_cur);
		return NULL;
	}
	if (input != NULL)
		have_in =
		    strcmp(input, "-") == 0 ? fstat(0, &in_st) == 0 : stat(input, &in_st) == 0;
	s = agrp_xcalloc(1, sizeof *s);
	s->n = n;
	s->flush = flush;
	s->files = agrp_xcalloc(n, sizeof *s->files);
	s->names = agrp_xcalloc(n, sizeof *s->names);
	for (uint64_t k = 0; k < n; k++)
		s->names[k] = agr_shard_name(prefix, k, n, digits);
	for (uint64_t k = 0; k < n; k++) {
		if (is_input(s->names[k], have_in ? &in_st : NULL)) {
			char *shown = agrp_text(s->names[k], true);

			agrp_error_set(err, "", 0, 0,
			               "%s would overwrite the input; nothing written", shown);
			free(shown);
			agr_splitter_free(s);
			return NULL;
		}
	}
	for (uint64_t k = 0; k < n; k++) {
		if ((s->files[k] = fopen(s->names[k], "w")) == NULL) {
			agrp_error_set(err, "", 0, 0, "%s: %s", s->names[k], strerror(errno));
			agr_splitter_free(s);
			return NULL;
		}
	}
	return s;
}

bool
agr_splitter_feed(agr_splitter *s, const agr_record *rec, agr_error *err)
{
	uint64_t k = agr_record_shard(rec, s->n);
	size_t len;
	const char *bytes = agr_record_bytes(rec, &len);
	FILE *f;

	if (s->files == NULL) {
		if (k == s->only)
			s->out(s->ctx, bytes, len);
		return true;
	}
	f = s->files[k];
	if (fwrite(bytes, 1, len, f) != len || putc('\n', f) == EOF ||
	    (s->flush && fflush(f) != 0)) {
		agrp_error_set(err, "", 0, 0, "%s: %s", s->names[k], strerror(errno));
		s->failed = true;
		return false;
	}
	return true;
}

bool
agr_splitter_finish(agr_splitter *s, agr_error_fn fn, void *ctx)
{
	bool ok = !s->failed;
	agr_error e;

	for (uint64_t k = 0; s->files != NULL && k < s->n; k++) {
		if (s->files[k] != NULL && fclose(s->files[k]) != 0 && !s->failed) {
			agrp_error_set(&e, "", 0, 0, "%s: %s", s->names[k], strerror(errno));
			if (fn != NULL)
				fn(ctx, &e);
			ok = false;
		}
		s->files[k] = NULL;
	}
	return ok;
}

void
agr_splitter_free(agr_splitter *s)
{
	if (s == NULL)
		return;
	for (uint64_t k = 0; s->files != NULL && k < s->n; k++) {
		if (s->files[k] != NULL)
			fclose(s->files[k]);
		free(s->names[k]);
	}
	free(s->files);
	free(s->names);
	free(s);
}
