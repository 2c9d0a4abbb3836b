/* map.c - a string-keyed hash map: linear probing, backward-shift deletion. */
#include <stdlib.h>
#include <string.h>

#include "base/base_int.h"

static uint64_t
hash_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return h ^ (h >> 29);
}

static size_t
find_slot(const agrp_map *m, const char *key, uint64_t h)
{
	size_t i = h & (m->cap - 1);

	while (m->slots[i].key != NULL &&
	       (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *
agrp_map_get(const agrp_map *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = find_slot(m, key, hash_key(key));
	return m->slots[i].key ? m->slots[i].val : NULL;
}

static void
grow(agrp_map *m)
{
	agrp_map bigger = { 0 };

	bigger.cap = m->cap ? m->cap * 2 : 4; /* many maps hold one or two */
	bigger.slots = agrp_xcalloc(bigger.cap, sizeof *bigger.slots);
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL)
			bigger.slots[find_slot(&bigger, m->slots[i].key, m->slots[i].hash)] =
			    m->slots[i];
	free(m->slots);
	bigger.n = m->n;
	*m = bigger;
}

void
agrp_map_put(agrp_map *m, const char *key, void *val)
{
	uint64_t h = hash_key(key);
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	i = find_slot(m, key, h);
	if (m->slots[i].key == NULL) {
		m->slots[i].key = agrp_xstrdup(key);
		m->slots[i].hash = h;
		m->n++;
	}
	m->slots[i].val = val;
}

void *
agrp_map_del(agrp_map *m, const char *key)
{
	size_t i, j;
	void *val;

	if (m->cap == 0)
		return NULL;
	i = find_slot(m, key, hash_key(key));
	if (m->slots[i].key == NULL)
		return NULL;
	val = m->slots[i].val;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->n--;
	/* Shift back the entries that probed past the hole. */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].key != NULL; j = (j + 1) & (m->cap - 1)) {
		size_t home = m->slots[j].hash & (m->cap - 1);

		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return val;
}

void
agrp_map_free(agrp_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof *m);
}
