/*
 * hash.c - what the checker indexes its open state by: a 64-bit hash of
 * bytes, and a map from such hashes to pointers (linear probing,
 * backward-shift deletion), so that a record finds what it closes
 * without a scan.
 */
#include <stdlib.h>

#include "check/check_int.h"

/* FNV-1a, from AGRP_HASH_SEED or a hash so far. */
uint64_t
agrp_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3u;
	return h;
}

/* The finish of MurmurHash3: every bit of h moves the slot. */
uint64_t
agrp_hash_done(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h ? h : 1; /* 0 marks an empty slot */
}

static size_t
find(const agrp_u64map *m, uint64_t key)
{
	size_t i = key & (m->cap - 1);

	while (m->slots[i].key != 0 && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

struct agrp_u64slot *
agrp_u64map_slot(const agrp_u64map *m, uint64_t key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = find(m, key);
	return m->slots[i].key ? &m->slots[i] : NULL;
}

void *
agrp_u64map_get(const agrp_u64map *m, uint64_t key)
{
	struct agrp_u64slot *slot = agrp_u64map_slot(m, key);

	return slot ? slot->val : NULL;
}

void
agrp_u64map_put(agrp_u64map *m, uint64_t key, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		agrp_u64map bigger = { 0 };

		bigger.cap = m->cap ? m->cap * 2 : 4; /* most hold one or two */
		bigger.slots = agrp_xcalloc(bigger.cap, sizeof *bigger.slots);
		for (size_t j = 0; j < m->cap; j++)
			if (m->slots[j].key != 0)
				bigger.slots[find(&bigger, m->slots[j].key)] = m->slots[j];
		bigger.n = m->n;
		free(m->slots);
		*m = bigger;
	}
	i = find(m, key);
	if (m->slots[i].key == 0) {
		m->slots[i].key = key;
		m->n++;
	}
	m->slots[i].val = val;
}

void *
agrp_u64map_del(agrp_u64map *m, uint64_t key)
{
	size_t i, j;
	void *val;

	if (m->cap == 0)
		return NULL;
	i = find(m, key);
	if (m->slots[i].key == 0)
		return NULL;
	val = m->slots[i].val;
	m->slots[i].key = 0;
	m->n--;
	/* Shift back the entries that probed past the hole. */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].key != 0; j = (j + 1) & (m->cap - 1)) {
		size_t home = m->slots[j].key & (m->cap - 1);

		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = 0;
			i = j;
		}
	}
	return val;
}

void
agrp_u64map_free(agrp_u64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

/* ---- traces let go ------------------------------------------------ */

static uint64_t
fingerprint(const char *id)
{
	return agrp_hash_done(agrp_hash_bytes(AGRP_HASH_SEED, id, strlen(id)));
}

void
agrp_gone_remember(agrp_gone_ring *g, const char *id, long final_step)
{
	size_t slot = g->next++ % AGRP_GONE;
	uint64_t fp = fingerprint(id);

	if (slot >= g->cap) { /* grown as traces go: most readers see few */
		size_t cap = g->cap ? 2 * g->cap : 64;

		cap = cap < AGRP_GONE ? cap : AGRP_GONE;
		g->slots = agrp_xrealloc(g->slots, cap * sizeof *g->slots);
		g->cap = cap;
	} else if (g->next > AGRP_GONE) {
		/* the oldest is forgotten, unless a newer one took its key */
		agrp_gone *old = &g->slots[slot];

		if ((uintptr_t)agrp_u64map_get(&g->index, old->fp) == slot + 1)
			agrp_u64map_del(&g->index, old->fp);
		g->forgotten++;
	}
	g->slots[slot].fp = fp;
	g->slots[slot].final_step = final_step;
	agrp_u64map_put(&g->index, fp, (void *)(uintptr_t)(slot + 1));
}

const agrp_gone *
agrp_gone_find(const agrp_gone_ring *g, const char *id)
{
	uintptr_t slot = (uintptr_t)agrp_u64map_get(&g->index, fingerprint(id));

	return slot != 0 ? &g->slots[slot - 1] : NULL;
}

void
agrp_gone_free(agrp_gone_ring *g)
{
	agrp_u64map_free(&g->index);
	free(g->slots);
	memset(g, 0, sizeof *g);
}
