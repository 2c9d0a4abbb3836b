/* error.c - errors with their place, and whole files read for loaders. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base_int.h"

/* Whether the text s, of len bytes, ends inside a UTF-8 sequence: a
 * text cut to its array's size by a snprintf somewhere before. */
static bool
ends_inside_character(const char *s, size_t len)
{
	size_t i = len, need;
	unsigned char c;

	while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return false; /* ASCII, or no lead byte */
	c = (unsigned char)s[i - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	return len - (i - 1) < need;
}

/* buf (of size n) was filled by a snprintf that wanted want bytes: when
 * they did not fit, or a text that had been cut before was copied whole,
 * it ends where a character begins, with "...". */
static void
mark_cut(char *buf, size_t n, int want)
{
	size_t cut;

	if (want < 0 || n < 4)
		return;
	if ((size_t)want < n && !((size_t)want == n - 1 && ends_inside_character(buf, n - 1)))
		return;
	cut = n - 4;
	while (cut > 0 && ((unsigned char)buf[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(buf + cut, "...", 4);
}

void
agrp_error_place(agr_error *err, const char *source, long line, long column)
{
	if (source != NULL)
		mark_cut(err->source, sizeof err->source,
		         snprintf(err->source, sizeof err->source, "%s", source));
	err->line = line;
	err->column = column;
}

void
agrp_error_vset(agr_error *err, const char *source, long line, long column, const char *fmt,
                va_list ap)
{
	if (err == NULL)
		return;
	agrp_error_place(err, source, line, column);
	mark_cut(err->text, sizeof err->text, vsnprintf(err->text, sizeof err->text, fmt, ap));
}

void
agrp_error_set(agr_error *err, const char *source, long line, long column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	agrp_error_vset(err, source, line, column, fmt, ap);
	va_end(ap);
}

void
agr_error_print(const agr_error *err, const char *prog)
{
	char text[sizeof err->text];

	fprintf(stderr, "%s: ", prog);
	if (err->source[0] != '\0') {
		char *shown = agrp_text(err->source, true);

		fputs(shown, stderr);
		free(shown);
		if (err->line > 0)
			fprintf(stderr, ":%ld", err->line);
		if (err->line > 0 && err->column > 0)
			fprintf(stderr, ":%ld", err->column);
		fputs(": ", stderr);
	}
	/* A text written into err->text by a snprintf of its own (as the
	 * expression parser's) may end inside a character: not on stderr. */
	snprintf(text, sizeof text, "%s", err->text);
	mark_cut(text, sizeof text, (int)strlen(text));
	fprintf(stderr, "%s\n", text);
}

char *
agrp_read_file(const char *path, size_t *len, agr_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;
	struct stat st;
	bool large;

	*len = 0;
	if (f == NULL) {
		agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
		return NULL;
	}
	/* A regular file says its size; a pipe or a device is read to one
	 * byte past the limit, never further (/dev/zero has no end). */
	large = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	        (uintmax_t)st.st_size > AGR_MAX_FILE;
	while (!large) {
		size_t room;

		agrp_grow(&buf, &cap,
		          *len + 65536 < AGR_MAX_FILE + 1 ? *len + 65536 : AGR_MAX_FILE + 1, 1);
		room = (cap < AGR_MAX_FILE + 1 ? cap : AGR_MAX_FILE + 1) - *len;
		n = fread(buf + *len, 1, room, f);
		*len += n;
		large = *len > AGR_MAX_FILE;
		if (n == 0)
			break;
	}
	if (large) {
		agrp_error_set(err, path, 0, 0,
		               "larger than %zu MiB, the most a file read whole may hold",
		               AGR_MAX_FILE >> 20);
		free(buf);
		buf = NULL;
		*len = 0;
	} else if (ferror(f)) {
		agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}
