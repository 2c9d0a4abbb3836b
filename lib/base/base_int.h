/*
 * base_int.h - what every layer of the library uses: errors, allocation,
 * byte buffers, a string-keyed map.
 * Internal names start with agrp_.
 */
#ifndef AGRP_BASE_INT_H
#define AGRP_BASE_INT_H

#include <stdarg.h>
#include <string.h>

#include "agraph.h"

#define AGRP_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Fills err; source may be NULL to keep what err already holds.  A text
 * or source too long for its array is cut where a character begins and
 * ends in "...". */
void agrp_error_set(agr_error *err, const char *source, long line, long column, const char *fmt,
                    ...) AGRP_PRINTF(5, 6);

void agrp_error_vset(agr_error *err, const char *source, long line, long column, const char *fmt,
                     va_list ap) AGRP_PRINTF(5, 0);
/* Only the place: source (NULL: kept), line and column. */
void agrp_error_place(agr_error *err, const char *source, long line, long column);

/* Reads a whole file ("-": stdin) of at most AGR_MAX_FILE bytes; NULL
 * with err filled on failure or when the file is larger. */
char *agrp_read_file(const char *path, size_t *len, agr_error *err);

/* Allocation that never returns NULL: running out of memory ends the
 * program with a message, as there is nothing sane left to do. */
void *agrp_xmalloc(size_t n);
void *agrp_xcalloc(size_t n, size_t size);
void *agrp_xrealloc(void *p, size_t n);
char *agrp_xstrdup(const char *s);

/* Grows *p (an array of elem-sized items with room for *cap) to hold need. */
void agrp_grow(void *pp, size_t *cap, size_t need, size_t elem);

/* A growing byte buffer, always NUL-terminated once written to. */
typedef struct agrp_buf {
	char *p;
	size_t n, cap;
} agrp_buf;

static inline void
agrp_buf_add(agrp_buf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap)
		agrp_grow(&b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void agrp_buf_str(agrp_buf *b, const char *s);

/* text.c: text for people, a line per item whatever s holds: what
 * cannot be seen as JSON escapes (\\n, \\u001b), bytes that are not
 * UTF-8 as \\ufffd; a trace id or a file name (as_id) as a JSON string
 * unless it is plain.  The caller frees it.  (agr_text() for the
 * programs.) */
char *agrp_text(const char *s, bool as_id);
/* The same, for a message: at most about AGRP_TEXT_CLIP bytes of it, a
 * longer one cut and said so ("... (70000 bytes)"). */
#define AGRP_TEXT_CLIP 120
char *agrp_text_clip(const char *s, bool as_id);
/* Characters that end or break a line for a terminal or an editor, and
 * the others no one can see: C0, DEL, C1, U+2028 and U+2029. */
bool agrp_unseen(unsigned long c);

/* A string-keyed hash map (map.c). */
typedef struct agrp_map {
	struct agrp_map_slot {
		char *key; /* owned; NULL: empty */
		uint64_t hash;
		void *val;
	} * slots;
	size_t cap, n;
} agrp_map;

void *agrp_map_get(const agrp_map *m, const char *key);
/* Inserts or replaces; the map keeps its own copy of key. */
void agrp_map_put(agrp_map *m, const char *key, void *val);
/* Removes key; returns its value, or NULL. */
void *agrp_map_del(agrp_map *m, const char *key);
/* Frees the map's keys and slots, not the values. */
void agrp_map_free(agrp_map *m);

/*
 * The length of the UTF-8 sequence at p (up to end), or 0 when it is not
 * one as jansson reads UTF-8: overlong forms, surrogates and code points
 * past U+10FFFF are not.  *cp, when cp is not NULL, gets the code point.
 * Inline: the record scan calls it for every byte past ASCII.
 */
static inline size_t
agrp_utf8_len(const unsigned char *p, const unsigned char *end, unsigned long *cp)
{
	size_t n = p[0] < 0x80                   ? 1
	           : p[0] >= 0xc2 && p[0] < 0xe0 ? 2
	           : p[0] >= 0xe0 && p[0] < 0xf0 ? 3
	           : p[0] >= 0xf0 && p[0] < 0xf5 ? 4
	                                         : 0;
	unsigned long c;

	if (n == 0 || (size_t)(end - p) < n)
		return 0;
	c = n == 1 ? p[0] : p[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c < 0xe000))
		return 0;
	if (cp != NULL)
		*cp = c;
	return n;
}

/* The offset of the first byte of s[0..n) that is not UTF-8, or n. */
static inline size_t
agrp_utf8_bad(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n && (k = agrp_utf8_len(p + i, p + n, NULL)) > 0)
		i += k;
	return i;
}

#endif
