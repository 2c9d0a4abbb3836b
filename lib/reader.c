/*
 * reader.c - streaming NDJSON: one JSON object a line, original bytes kept.
 *
 * read(2) rather than stdio: a coprocess gets its answer as soon as a line
 * arrives, not when a stdio buffer happens to fill.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "agraph_int.h"

#define CHUNK 65536

struct agr_record {
	json_t *json;
	const char *bytes;
	size_t len;
	const char *source;
	long line;
};

struct agr_reader {
	const char *const *paths;
	int npaths;
	int next_path;
	int fd; /* -1: no file open */
	const char *name;
	bool eof;
	bool skipping; /* dropping the rest of an over-long line */
	char *buf;
	size_t cap, start, end;
	size_t max_line;
	long line;
	agr_record rec;
};

static const char *const stdin_path[] = { "-" };

agr_reader *
agr_reader_new(const char *const *paths, int npaths, size_t max_line)
{
	agr_reader *r = agrp_xcalloc(1, sizeof *r);

	if (npaths <= 0) {
		paths = stdin_path;
		npaths = 1;
	}
	r->paths = paths;
	r->npaths = npaths;
	r->fd = -1;
	r->max_line = max_line ? max_line : AGR_DEFAULT_MAX_LINE;
	return r;
}

static void
close_current(agr_reader *r)
{
	if (r->fd > 0)
		close(r->fd);
	r->fd = -1;
}

void
agr_reader_free(agr_reader *r)
{
	if (r == NULL)
		return;
	close_current(r);
	json_decref(r->rec.json);
	free(r->buf);
	free(r);
}

static bool
is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* Reads more bytes into the buffer.  Returns false on a read error. */
static bool
fill(agr_reader *r, agr_error *err)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < CHUNK)
		agrp_grow(&r->buf, &r->cap, r->end + CHUNK, 1);
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		agrp_error_set(err, r->name, 0, 0, "%s", strerror(errno));
		r->eof = true;
		return false;
	}
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return true;
}

static int
parse_line(agr_reader *r, char *s, size_t n, const agr_record **rec, agr_error *err)
{
	json_error_t jerr;
	json_t *j;

	json_decref(r->rec.json);
	r->rec.json = NULL;
	/* Any value parses, so that a non-object is named as such. */
	j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (j == NULL) {
		agrp_error_set(err, r->name, r->line, jerr.column > 0 ? jerr.column : 1, "%s",
		               jerr.text);
		return -1;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		agrp_error_set(err, r->name, r->line, 1, "a record must be a JSON object");
		return -1;
	}
	r->rec.json = j;
	r->rec.bytes = s;
	r->rec.len = n;
	r->rec.source = r->name;
	r->rec.line = r->line;
	*rec = &r->rec;
	return 1;
}

int
agr_reader_next(agr_reader *r, const agr_record **rec, agr_error *err)
{
	for (;;) {
		char *s, *nl;
		size_t n;

		if (r->fd < 0) {
			const char *path;

			if (r->next_path >= r->npaths)
				return 0;
			path = r->paths[r->next_path++];
			r->start = r->end = 0;
			r->eof = r->skipping = false;
			r->line = 0;
			if (strcmp(path, "-") == 0) {
				r->fd = 0;
				r->name = "-";
			} else {
				r->name = path;
				r->fd = open(path, O_RDONLY);
				if (r->fd < 0) {
					agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
					return -1;
				}
			}
		}
		s = r->buf + r->start;
		nl = r->end > r->start ? memchr(s, '\n', r->end - r->start) : NULL;
		if (nl == NULL) {
			if (r->end - r->start > r->max_line && !r->skipping) {
				r->skipping = true;
				agrp_error_set(err, r->name, r->line + 1, 0,
				               "line longer than %zu bytes", r->max_line);
				return -1;
			}
			if (r->skipping)
				r->start = r->end;
			if (!r->eof) {
				if (!fill(r, err))
					return -1;
				continue;
			}
			if (r->start == r->end) {
				close_current(r);
				continue;
			}
			/* The last line has no newline. */
			n = r->end - r->start;
			r->start = r->end;
		} else {
			n = (size_t)(nl - s);
			r->start += n + 1;
		}
		r->line++;
		if (r->skipping) {
			r->skipping = false;
			continue;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > r->max_line) {
			agrp_error_set(err, r->name, r->line, 0, "line longer than %zu bytes",
			               r->max_line);
			return -1;
		}
		if (is_blank(s, n))
			continue;
		return parse_line(r, s, n, rec, err);
	}
}

json_t *
agr_record_json(const agr_record *rec)
{
	return rec->json;
}

const char *
agr_record_bytes(const agr_record *rec, size_t *len)
{
	*len = rec->len;
	return rec->bytes;
}

const char *
agr_record_source(const agr_record *rec)
{
	return rec->source;
}

long
agr_record_line(const agr_record *rec)
{
	return rec->line;
}

const char *
agr_record_kind(const agr_record *rec)
{
	return agr_json_str(rec->json, "kind");
}
