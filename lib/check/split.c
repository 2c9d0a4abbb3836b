/*
 * split.c - the shard a trace goes to when a corpus is cut by trace id
 * for many machines (agraph-trace split), and the names of shard files.
 *
 * The shard is a function of the id's bytes alone, written down in
 * agraph-trace(1), so that shards cut on different hosts, by different
 * builds or by another language's few lines agree.
 */
#include <stdlib.h>
#include <string.h>

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
