/*
 * text.c - text for people: what a message or a report shows of a name,
 * a trace id or a file name, one line whatever it holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_int.h"

/* Characters that end or break a line for a terminal or an editor, and
 * the others no one can see: C0, DEL, C1, U+2028 and U+2029. */
bool
agrp_unseen(unsigned long c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

/* Text for people: what cannot be seen as the JSON escape that says it
 * (\\n, \\u001b), bytes that are not UTF-8 as \\ufffd; in a JSON string
 * (quoted), " and \\ too. */
static void
text_add(agrp_buf *b, const char *s, bool quoted)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	unsigned long c;
	char esc[16];

	if (quoted)
		agrp_buf_add(b, "\"", 1);
	while (p < end) {
		const unsigned char *run = p;
		size_t n;

		/* printable ASCII as it is, a run at a time */
		while (p < end && *p >= 0x20 && *p < 0x7f && !(quoted && (*p == '"' || *p == '\\')))
			p++;
		if (p > run) {
			agrp_buf_add(b, run, (size_t)(p - run));
			continue;
		}
		n = agrp_utf8_len(p, end, &c);

		if (n == 0) {
			agrp_buf_str(b, "\\ufffd");
			p++;
			continue;
		}
		if (c == '\n')
			agrp_buf_str(b, "\\n");
		else if (c == '\r')
			agrp_buf_str(b, "\\r");
		else if (c == '\t')
			agrp_buf_str(b, "\\t");
		else if (agrp_unseen(c) || (quoted && (c == '"' || c == '\\'))) {
			if (agrp_unseen(c))
				snprintf(esc, sizeof esc, "\\u%04lx", c);
			else
				snprintf(esc, sizeof esc, "\\%c", (int)c);
			agrp_buf_str(b, esc);
		} else {
			agrp_buf_add(b, p, n);
		}
		p += n;
	}
	if (quoted)
		agrp_buf_add(b, "\"", 1);
}

char *
agrp_text(const char *s, bool as_id)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	bool bare = !as_id || (*s != '\0' && *s != '"');
	agrp_buf b = { 0 };
	unsigned long c;

	/* A trace id as it is when it has no space or unseen character and
	 * does not start with ", else as a JSON string (so "" when empty). */
	while (as_id && bare && p < end) {
		size_t n = agrp_utf8_len(p, end, &c);

		bare = n > 0 && c != ' ' && !agrp_unseen(c);
		p += n ? n : 1;
	}
	text_add(&b, s, !bare);
	return b.p ? b.p : agrp_xstrdup("");
}

char *
agrp_text_clip(const char *s, bool as_id)
{
	size_t len = strlen(s), cut = len;
	char *t = agrp_text(s, as_id), *part, *clipped;
	size_t tn = strlen(t);

	/* Shorter and shorter beginnings, each cut where a character begins,
	 * until its text fits: the place of a message stays on its line. */
	while (tn > AGRP_TEXT_CLIP && cut > 0) {
		free(t);
		cut = cut > AGRP_TEXT_CLIP ? AGRP_TEXT_CLIP : cut / 2;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		part = agrp_xmalloc(cut + 1);
		memcpy(part, s, cut);
		part[cut] = '\0';
		t = agrp_text(part, as_id);
		tn = strlen(t);
		free(part);
	}
	if (cut == len)
		return t;
	clipped = agrp_xmalloc(tn + 64);
	snprintf(clipped, tn + 64, "%s... (%zu bytes)", t, len);
	free(t);
	return clipped;
}

char *
agr_text(const char *s, bool as_id)
{
	return agrp_text(s, as_id);
}
