/*
 * reader.c - streaming NDJSON: one JSON object a line, original bytes kept.
 *
 * read(2) rather than stdio: a coprocess gets its answer as soon as a line
 * arrives, not when a stdio buffer happens to fill.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/record_int.h"

#define CHUNK 65536

struct agr_record {
	json_t *json; /* made on first use: most readers never need it */
	const char *bytes;
	size_t len;
	const char *source;
	long line;
	agrp_field *fields; /* the top-level fields, by their bytes */
	size_t nfields, capfields;
	bool owned;   /* a kept copy: bytes and fields are its own */
	bool scratch; /* agr_record_new(): fields are its own, bytes borrowed */
	bool packed;  /* owned, its fields and bytes in its own block */
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
	const volatile sig_atomic_t *stop; /* NULL: never */
	agr_progress *progress;            /* NULL: none */
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
	/* never a NULL buffer, not even for an empty input */
	agrp_grow(&r->buf, &r->cap, CHUNK, 1);
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
	free(r->rec.fields);
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

void
agr_reader_stop_on(agr_reader *r, const volatile sig_atomic_t *stop)
{
	r->stop = stop;
}

void
agr_reader_progress(agr_reader *r, agr_progress *p)
{
	r->progress = p;
	agr_progress_total_files(p, r->paths, r->npaths);
}

static bool
stopped(const agr_reader *r)
{
	return r->stop != NULL && *r->stop != 0;
}

/*
 * Waits until the input can be read without blocking; false when asked to
 * stop first.  A handler installed with SA_RESTART would restart a read(2)
 * that blocks, so the wait is a ppoll(2) that signals end: every signal is
 * blocked from the look at the flag to the wait, which lets them in, so
 * that one that comes in between is not missed.
 */
static bool
wait_input(agr_reader *r)
{
	struct pollfd p = { r->fd, POLLIN, 0 };
	sigset_t all, old;

	if (stopped(r))
		return false;
	if (poll(&p, 1, 0) != 0) /* ready, or an error that read(2) will tell */
		return true;
	agr_progress_wait(r->progress);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	while (!stopped(r) && ppoll(&p, 1, NULL, &old) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return !stopped(r);
}

/* Reads more bytes into the buffer: 1, 0 when asked to stop, or -1 on a
 * read error. */
static int
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
	do {
		if ((r->stop != NULL || r->progress != NULL) && !wait_input(r))
			return 0;
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		agrp_error_set(err, r->name, 0, 0, "%s", strerror(errno));
		r->eof = true;
		return -1;
	}
	if (n == 0)
		r->eof = true;
	else if (r->progress != NULL)
		agr_progress_add(r->progress, (uint64_t)n);
	r->end += (size_t)n;
	return 1;
}

/* The reference reader: jansson, whole.  AGRAPH_REFERENCE=1 picks it, so
 * that tests can compare the fast reading with the obvious one. */
bool
agrp_reference(void)
{
	static int on = -1;

	if (on < 0) {
		const char *e = getenv("AGRAPH_REFERENCE");

		on = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
	}
	return on;
}

/*
 * What a record's fields must be, beyond JSON, for every program to read
 * them alike: a step written as a real (2.0, 1e3) would be 2 to an
 * expression but no step to the rest, so it is refused, and so is a cause
 * (or a step in a list of causes) written so, which would be no cause;
 * and the names
 * programs key on are C strings, which cannot hold \u0000.
 */
static const char *const names[] = { "trace", "kind",   "agent", "from",    "to",     "tool", "id",
	                             "call",  "status", "goal",  "monitor", "action", "fault" };

/* A number written with a fraction or an exponent. */
static bool
is_real(const agrp_span *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->p[i] == '.' || v->p[i] == 'e' || v->p[i] == 'E')
			return true;
	return false;
}

static bool
check_fields(const char *s, const agrp_field *f, size_t nf, long *col, const char **msg)
{
	for (size_t i = 0; i < nf; i++) {
		const agrp_span *k = &f[i].key, *v = &f[i].val;

		if (v->type == 'n') {
			if ((k->esc ? agrp_span_key_is(k, "step", 4)
			            : k->n == 6 && memcmp(k->p, "\"step\"", 6) == 0) &&
			    is_real(v)) {
				*col = agrp_column_of(s, v->p);
				*msg = "\"step\" must be an integer, not a real";
				return false;
			}
			if (agrp_span_key_is(k, "cause", 5) && is_real(v)) {
				*col = agrp_column_of(s, v->p);
				*msg = "\"cause\" must be an integer step, not a real";
				return false;
			}
			continue;
		}
		if (v->type != 's' || !v->esc || memmem(v->p, v->n, "u0000", 5) == NULL)
			continue;
		for (size_t n = 0; n < sizeof names / sizeof *names; n++) {
			static char text[80];
			char *d;
			bool nul;

			if (!agrp_span_key_is(k, names[n], strlen(names[n])))
				continue;
			d = agrp_xmalloc(v->n + 4);
			nul = memchr(d, '\0', agrp_span_decode(v, d, v->n + 4)) != NULL;
			free(d);
			if (!nul)
				break;
			snprintf(text, sizeof text,
			         "\"%s\" may not hold \\u0000 (NUL): it is read as a name",
			         names[n]);
			*col = agrp_column_of(s, v->p);
			*msg = text;
			return false;
		}
	}
	return true;
}

/* A list of causes: a step in it written as a real is refused as a real
 * cause is (the scan marks only top-level reals as notable). */
static bool
check_causes(const char *s, const agrp_field *f, size_t nf, long *col, const char **msg)
{
	for (size_t i = 0; i < nf; i++) {
		agrp_span k, v;
		size_t cursor = 0;

		if (f[i].val.type != 'a' || !agrp_span_key_is(&f[i].key, "cause", 5))
			continue;
		while (agrp_span_next(&f[i].val, &cursor, &k, &v))
			if (v.type == 'n' && is_real(&v)) {
				*col = agrp_column_of(s, v.p);
				*msg = "\"cause\" must list integer steps, not a real";
				return false;
			}
	}
	return true;
}

static int
parse_line(agr_reader *r, char *s, size_t n, const agr_record **rec, agr_error *err)
{
	json_error_t jerr;
	json_t *j = NULL;
	const char *msg;
	bool notable;
	long col;

	json_decref(r->rec.json);
	r->rec.json = NULL;
	r->rec.nfields = 0;
	if (agrp_reference()) {
		/* Any value parses, so that a non-object is named as such. */
		j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
		               &jerr);
		if (j == NULL) {
			agrp_error_set(err, r->name, r->line, jerr.column > 0 ? jerr.column : 1,
			               "%s", jerr.text);
			return -1;
		}
		if (!json_is_object(j)) {
			json_decref(j);
			agrp_error_set(err, r->name, r->line, 1, "a record must be a JSON object");
			return -1;
		}
	}
	if (!agrp_scan_record(s, n, &r->rec.fields, &r->rec.nfields, &r->rec.capfields, &notable,
	                      &col, &msg) ||
	    (notable && !check_fields(s, r->rec.fields, r->rec.nfields, &col, &msg)) ||
	    !check_causes(s, r->rec.fields, r->rec.nfields, &col, &msg)) {
		json_decref(j);
		r->rec.nfields = 0;
		agrp_error_set(err, r->name, r->line, col, "%s", msg);
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
		if (stopped(r))
			return 0;
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
				int got = fill(r, err);

				if (got <= 0)
					return got;
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
agr_record_json(const agr_record *crec)
{
	/* A cache: the tree is made from the bytes on first use. */
	agr_record *rec = (agr_record *)crec;

	if (rec->json == NULL) {
		json_error_t e;

		rec->json = json_loadb(rec->bytes, rec->len, JSON_ALLOW_NUL, &e);
		if (rec->json == NULL) {
			/* Out of memory, or the scan let through what jansson
			 * refuses: never an empty record in its place. */
			agr_error shown;

			agrp_error_set(&shown, rec->source, rec->line, e.column, "%s", e.text);
			agr_error_print(&shown, "agraph");
			if (json_error_code(&e) == json_error_out_of_memory)
				exit(2);
			abort();
		}
	}
	return rec->json;
}

const agrp_field *
agrp_record_fields(const agr_record *rec, size_t *n)
{
	*n = rec->nfields;
	return rec->fields;
}

agr_record *
agr_record_keep(const agr_record *rec)
{
	agr_record *k = agrp_xcalloc(1, sizeof *k);
	char *bytes = agrp_xmalloc(rec->len + 1);
	ptrdiff_t shift;

	memcpy(bytes, rec->bytes, rec->len);
	bytes[rec->len] = '\0';
	shift = bytes - rec->bytes;
	k->bytes = bytes;
	k->len = rec->len;
	k->source = rec->source;
	k->line = rec->line;
	k->owned = true;
	k->nfields = k->capfields = rec->nfields;
	k->fields = agrp_xmalloc((rec->nfields ? rec->nfields : 1) * sizeof *k->fields);
	for (size_t i = 0; i < rec->nfields; i++) {
		k->fields[i] = rec->fields[i];
		k->fields[i].key.p += shift;
		k->fields[i].val.p += shift;
	}
	if (rec->json != NULL)
		k->json = json_incref(rec->json);
	return k;
}

/* Whether the field is one of the keys. */
static bool
named(const agrp_field *f, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (agrp_span_key_is(&f->key, keys[i], strlen(keys[i])))
			return true;
	return false;
}

size_t
agrp_record_project(const agr_record *rec, const char *const *keys, size_t n, char *out)
{
	size_t len = 2, at = 0, nf = 0;

	if (out == NULL) {
		for (size_t i = 0; i < rec->nfields; i++)
			if (named(&rec->fields[i], keys, n))
				len += rec->fields[i].key.n + rec->fields[i].val.n + 2;
		return len;
	}
	out[at++] = '{';
	for (size_t i = 0; i < rec->nfields; i++) {
		const agrp_field *f = &rec->fields[i];

		if (!named(f, keys, n))
			continue;
		if (nf++ > 0)
			out[at++] = ',';
		memcpy(out + at, f->key.p, f->key.n);
		at += f->key.n;
		out[at++] = ':';
		memcpy(out + at, f->val.p, f->val.n);
		at += f->val.n;
	}
	out[at++] = '}';
	out[at] = '\0';
	return at;
}

agr_record *
agrp_record_keep_only(const agr_record *rec, const char *const *keys, size_t n)
{
	size_t len = agrp_record_project(rec, keys, n, NULL), nf = 0;
	agr_record *k;
	char *bytes;
	long col;
	const char *msg;
	bool notable;

	for (size_t i = 0; i < rec->nfields; i++)
		nf += named(&rec->fields[i], keys, n);
	/* one block: held by the thousand, records must be small */
	k = agrp_xcalloc(1, sizeof *k + nf * sizeof *k->fields + len + 1);
	k->fields = (agrp_field *)(k + 1);
	k->capfields = nf;
	bytes = (char *)(k->fields + nf);
	k->len = agrp_record_project(rec, keys, n, bytes);
	k->bytes = bytes;
	k->source = rec->source;
	k->line = rec->line;
	k->owned = k->packed = true;
	/* the fields of a valid record make a valid one; the scan indexes
	 * them into the room made for them */
	if (!agrp_scan_record(bytes, k->len, &k->fields, &k->nfields, &k->capfields, &notable, &col,
	                      &msg))
		k->nfields = 0;
	return k;
}

agr_record *
agr_record_new(void)
{
	agr_record *rec = agrp_xcalloc(1, sizeof *rec);

	rec->scratch = true;
	return rec;
}

/* The record is now of these bytes: its tree, if any, is dropped. */
static void
record_point(agr_record *rec, const char *bytes, size_t len, const char *source, long line)
{
	json_decref(rec->json);
	rec->json = NULL;
	rec->bytes = bytes;
	rec->len = len;
	rec->source = source;
	rec->line = line;
}

bool
agr_record_set(agr_record *rec, const char *bytes, size_t len, const char *source, long line,
               agr_error *err)
{
	long col;
	const char *msg;
	bool notable;

	record_point(rec, bytes, len, source, line);
	if (!agrp_scan_record(bytes, len, &rec->fields, &rec->nfields, &rec->capfields, &notable,
	                      &col, &msg) ||
	    (notable && !check_fields(bytes, rec->fields, rec->nfields, &col, &msg))) {
		rec->nfields = 0;
		agrp_error_set(err, source, line, col, "%s", msg);
		return false;
	}
	return true;
}

void
agrp_record_set_valid(agr_record *rec, const char *bytes, size_t len, const char *source, long line)
{
	agrp_span obj = { bytes, len, 'o', false }, key, val;
	size_t cursor = 0;

	record_point(rec, bytes, len, source, line);
	rec->nfields = 0;
	while (agrp_span_next(&obj, &cursor, &key, &val)) {
		if (rec->nfields == rec->capfields)
			agrp_grow(&rec->fields, &rec->capfields, rec->nfields + 1,
			          sizeof *rec->fields);
		rec->fields[rec->nfields].key = key;
		rec->fields[rec->nfields].val = val;
		rec->nfields++;
	}
}

void
agr_record_free(agr_record *rec)
{
	if (rec == NULL || !(rec->owned || rec->scratch))
		return;
	json_decref(rec->json);
	if (!rec->packed) {
		if (rec->owned)
			free((char *)rec->bytes);
		free(rec->fields);
	}
	free(rec);
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

bool
agrp_record_field(const agr_record *rec, const char *key, agrp_span *out)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < rec->nfields; i++)
		if (agrp_span_key_is(&rec->fields[i].key, key, n)) {
			*out = rec->fields[i].val;
			return true;
		}
	return false;
}

const char *
agrp_record_str(const agr_record *rec, const char *key, char *buf, size_t cap)
{
	agrp_span v;
	size_t n;

	if (!agrp_record_field(rec, key, &v) || v.type != 's')
		return NULL;
	if (v.n + 4 > cap) /* long: the tree has it whole */
		return agr_json_str(agr_record_json(rec), key);
	n = agrp_span_decode(&v, buf, cap);
	buf[n] = '\0';
	return buf;
}

bool
agrp_span_int(const agrp_span *v, long *out)
{
	const char *p = v->p, *end = v->p + v->n;
	bool neg;
	long n = 0;

	if (v->type != 'n')
		return false;
	neg = *p == '-';
	p += neg;
	/* Short whole numbers by hand: every record has a step. */
	if (end - p <= 18) {
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (*p - '0');
		if (p == end) {
			*out = neg ? -n : n;
			return true;
		}
	}
	if (memchr(v->p, '.', v->n) || memchr(v->p, 'e', v->n) || memchr(v->p, 'E', v->n))
		return false;
	*out = strtol(v->p, NULL, 10);
	return true;
}

/* Which of the common names (0-6 as in agrp_record_common, 7 for
 * "step") the key is, or -1: by its length first, as most keys are none. */
static int
common_name(const agrp_span *k)
{
	char buf[48];
	const char *p = k->p + 1;
	size_t n = k->n - 2;

	if (k->esc) { /* decoded, if it can be one of them at all: six \\uXXXX and quotes */
		if (k->n > 6 * 6 + 2)
			return -1;
		n = agrp_span_decode(k, buf, sizeof buf);
		p = buf;
	}
	switch (n) {
	case 2:
		return memcmp(p, "id", 2) == 0 ? 4 : -1;
	case 4:
		return memcmp(p, "kind", 4) == 0   ? 1
		       : memcmp(p, "tool", 4) == 0 ? 2
		       : memcmp(p, "call", 4) == 0 ? 5
		       : memcmp(p, "step", 4) == 0 ? 7
		                                   : -1;
	case 5:
		return memcmp(p, "trace", 5) == 0 ? 0 : memcmp(p, "agent", 5) == 0 ? 6 : -1;
	case 6:
		return memcmp(p, "status", 6) == 0 ? 3 : -1;
	default:
		return -1;
	}
}

void
agrp_record_common(const agr_record *rec, agrp_common *c)
{
	agrp_record_common_some(rec, c, AGRP_COMMON_ALL);
}

void
agrp_record_common_some(const agr_record *rec, agrp_common *c, unsigned want)
{
	static const char *const keys[7] = { "trace", "kind", "tool", "status",
		                             "id",    "call", "agent" };
	const char **slots[7] = { &c->trace, &c->kind, &c->tool, &c->status,
		                  &c->id,    &c->call, &c->agent };
	bool seen[8] = { false };

	for (int i = 0; i < 7; i++)
		*slots[i] = NULL;
	c->step = -1;
	/* One pass over the fields; the first of a repeated key counts, as
	 * in agrp_record_field(). */
	for (size_t f = 0; f < rec->nfields; f++) {
		const agrp_span *v = &rec->fields[f].val;
		int i = common_name(&rec->fields[f].key);

		if (i < 0 || seen[i] || (want & (1u << i)) == 0)
			continue;
		seen[i] = true;
		if (i == 7) {
			if (!agrp_span_int(v, &c->step))
				c->step = -1;
		} else if (v->type != 's') {
			continue;
		} else if (v->n + 4 > sizeof c->buf[i]) { /* long: the tree has it whole */
			*slots[i] = agr_json_str(agr_record_json(rec), keys[i]);
		} else {
			c->buf[i][agrp_span_decode(v, c->buf[i], sizeof c->buf[i])] = '\0';
			*slots[i] = c->buf[i];
		}
	}
	if (c->trace == NULL)
		c->trace = "";
}

void
agr_error_at_record(agr_error *err, const agr_record *rec)
{
	agrp_error_place(err, rec->source, rec->line, 1);
}
