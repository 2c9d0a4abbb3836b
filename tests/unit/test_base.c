/*
 * test_base.c - the base layer's errors and text: a message too long for
 * agr_error is cut where a character begins and says so with "...", also
 * when it was cut once before and copied; agrp_text shows a file name or
 * an id on one line; YAML nested too deep is refused where it starts.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/yaml_int.h"
#include "tap.h"

/* Whether s is whole UTF-8 (every sequence complete). */
static int
whole_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	unsigned long c;

	while (p < end) {
		size_t n = agrp_utf8_len(p, end, &c);

		if (n == 0)
			return 0;
		p += n;
	}
	return 1;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

int
main(void)
{
	char long_text[2048] = "x";
	agr_error e, copy;
	agrp_yaml L;
	char *t, deep[400];
	int bad = 0;
	bool loaded;

	/* Every offset of a two-, three- and four-byte character against the cut. */
	for (int pre = 0; pre < 4; pre++) {
		static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
			                             "\xf0\x9f\x98\x80" };

		for (int k = 0; k < 3; k++) {
			memset(long_text, 'x', (size_t)pre);
			long_text[pre] = '\0';
			while (strlen(long_text) + 4 < sizeof long_text - 1)
				strcat(long_text, chars[k]);
			agrp_error_set(&e, "f.yaml", 1, 1, "key '%s'", long_text);
			bad += !whole_utf8(e.text) || !ends_with(e.text, "...") ||
			       strlen(e.text) > sizeof e.text - 1 ||
			       strlen(e.text) < sizeof e.text - 4;
			/* A text cut by a snprintf elsewhere, copied whole. */
			memcpy(copy.text, long_text, sizeof copy.text - 1);
			copy.text[sizeof copy.text - 1] = '\0';
			agrp_error_set(&e, NULL, 0, 0, "%s", copy.text);
			bad += !whole_utf8(e.text);
			agrp_error_set(&e, long_text, 0, 0, "x");
			bad += !whole_utf8(e.source) || !ends_with(e.source, "...");
		}
	}
	ok(bad == 0, "a text or source too long is cut where a character begins, with ...");

	/* Written by a snprintf of its own, cut inside a character: printed whole. */
	{
		FILE *out = tmpfile();
		char got[1024] = "";
		int fd = dup(2);

		memset(long_text, 'x', 1);
		long_text[1] = '\0';
		while (strlen(long_text) + 4 < sizeof long_text - 1)
			strcat(long_text, "\xc3\xa9");
		e.source[0] = '\0';
		memcpy(e.text, long_text + 1, sizeof e.text - 1); /* ends in \xc3 */
		e.text[sizeof e.text - 1] = '\0';
		fflush(stderr);
		dup2(fileno(out), 2);
		agr_error_print(&e, "p");
		fflush(stderr);
		dup2(fd, 2);
		close(fd);
		rewind(out);
		got[fread(got, 1, sizeof got - 1, out)] = '\0';
		ok(whole_utf8(got) && ends_with(got, "...\n"),
		   "agr_error_print ends a text cut inside a character before it, with ...");
		fclose(out);
	}

	agrp_error_set(&e, "f.yaml", 2, 3, "short \xc3\xa9");
	ok(strcmp(e.text, "short \xc3\xa9") == 0 && strcmp(e.source, "f.yaml") == 0 &&
	       e.line == 2 && e.column == 3,
	   "a text that fits is kept as it is");

	t = agrp_text("a\nb", true);
	ok(strcmp(t, "\"a\\nb\"") == 0, "a name with a line end is a JSON string: %s", t);
	free(t);
	t = agrp_text("\x1b[31m", true);
	ok(strcmp(t, "\"\\u001b[31m\"") == 0, "ESC is \\u001b: %s", t);
	free(t);
	t = agrp_text("plain/file.yaml", true);
	ok(strcmp(t, "plain/file.yaml") == 0, "a plain name stays bare: %s", t);
	free(t);

	strcpy(deep, "a: ");
	for (int i = 0; i < 99; i++)
		strcat(deep, "[");
	strcat(deep, "1");
	ok(!agrp_yaml_load(&L, deep, strlen(deep), "d.yaml", &e) &&
	       strstr(e.text, "lists and mappings") == NULL,
	   "100 levels are not refused for depth (%s)", e.text);
	deep[strlen(deep) - 1] = '\0';
	for (int i = 0; i < 20; i++)
		strcat(deep, "[");
	loaded = agrp_yaml_load(&L, deep, strlen(deep), "d.yaml", &e);
	ok(!loaded && strstr(e.text, "more than 100 lists and mappings") != NULL && e.line == 1 &&
	       e.column == 103,
	   "the 101st level is refused where it starts (%ld:%ld %s)", e.line, e.column, e.text);
	strcpy(
	    deep,
	    "a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	ok(agrp_yaml_load(&L, deep, strlen(deep), "d.yaml", &e),
	   "[ in a quoted scalar or a comment is no level");
	agrp_yaml_free(&L);
	return done_testing();
}
