/*
 * import.c - traces that agent systems already write, as agraph records:
 * OpenAI chat-completions transcripts, SWE-agent trajectories,
 * multi-agent chat logs, and
 * OpenTelemetry spans (OTLP/JSON) with the GenAI conventions.
 *
 * Nothing is dropped: what has no field of its own in a record is kept
 * under the record's "src", and run-level fields go under "run" on the
 * trace's first record.
 *
 * This file reads the input (lines, or whole documents) and hands each
 * run to its format's converter: openai.c, sweagent.c, chatlog.c, otel.c.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interop/import_int.h"

/* ---- reading the input ------------------------------------------------- */

/* A run (or OTLP request) found in the input. */
static void
convert(importer *im, const char *format, const json_t *doc, bool whole)
{
	size_t i;
	json_t *x;

	im->doc_runs = whole && json_is_array(doc) ? (long)json_array_size(doc) : 1;
	if (strcmp(format, "openai") == 0 && json_is_array(doc) &&
	    json_object_get(json_array_get(doc, 0), "role") != NULL)
		im->doc_runs = 1; /* a list of messages: one run */
	if (strcmp(format, "otel") == 0) {
		if (json_is_array(doc) && whole)
			json_array_foreach(doc, i, x) agrp_otel_collect(im, x);
		else
			agrp_otel_collect(im, doc);
	} else if (strcmp(format, "openai") == 0) {
		/* an array of runs, or of messages (one run) */
		if (whole && json_is_array(doc) && json_array_size(doc) > 0 &&
		    json_object_get(json_array_get(doc, 0), "role") == NULL)
			json_array_foreach(doc, i, x) agrp_openai_run(im, x);
		else
			agrp_openai_run(im, doc);
	} else if (strcmp(format, "swe-agent") == 0) {
		/* a trajectory, or a list of them */
		if (whole && json_is_array(doc))
			json_array_foreach(doc, i, x) agrp_sweagent_run(im, x);
		else
			agrp_sweagent_run(im, doc);
	} else {
		if (whole && json_is_array(doc))
			json_array_foreach(doc, i, x) agrp_chatlog_run(im, x);
		else if (json_is_object(doc))
			agrp_chatlog_run(im, doc);
		else
			agrp_import_report(im, im->line, 1, "%s",
			                   "expected an object with a \"history\" list");
	}
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* The lines of one input, NUL bytes and all, none longer than AGR_MAX_FILE:
 * getline(3) would grow without end on an input without newlines. */
typedef struct lines {
	int fd;
	char *buf;
	size_t cap, start, end;
	bool eof;
	int error;                         /* errno of a failed read, or 0 */
	bool skipping;                     /* passing over the rest of a line too long */
	const volatile sig_atomic_t *stop; /* agr_import_opts.stop */
	bool stopped;                      /* asked to stop: the input ends here */
	agr_progress *progress;            /* agr_import_opts.progress */
} lines;

static bool
asked_to_stop(const lines *in)
{
	return in->stop != NULL && *in->stop != 0;
}

/* Waits until the input can be read; false when asked to stop first.  As
 * agr_reader does: every signal blocked from the look at the flag to the
 * ppoll(2), which lets them in, so that none is missed, and a handler
 * installed with SA_RESTART still ends the wait. */
static bool
wait_input(lines *in)
{
	struct pollfd p = { in->fd, POLLIN, 0 };
	sigset_t all, old;

	if (in->stop == NULL && in->progress == NULL)
		return true;
	if (asked_to_stop(in))
		return false;
	if (poll(&p, 1, 0) != 0)
		return true;
	agr_progress_wait(in->progress);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	while (!asked_to_stop(in) && ppoll(&p, 1, NULL, &old) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return !asked_to_stop(in);
}

/* The next line, its newline kept: 1, or 0 at the end, or -1 as soon as a
 * line is longer than AGR_MAX_FILE; the next call passes over its rest. */
static int
next_line(lines *in, const char **s, size_t *n)
{
	if (in->stop != NULL && *in->stop != 0) /* before each line, as agr_reader */
		in->stopped = true;
	for (;;) {
		char *p = in->buf + in->start;
		char *nl = memchr(p, '\n', in->end - in->start);
		ssize_t got;

		if (in->stopped)
			return 0;
		if (in->skipping) {
			in->start = nl != NULL ? (size_t)(nl + 1 - in->buf) : in->end;
			in->skipping = nl == NULL;
			if (nl != NULL)
				continue;
		} else if (nl != NULL || (in->eof && in->start < in->end)) {
			*n = nl != NULL ? (size_t)(nl + 1 - p) : in->end - in->start;
			*s = p;
			in->start += *n;
			return *n > AGR_MAX_FILE ? -1 : 1;
		} else if (in->end - in->start > AGR_MAX_FILE) {
			in->skipping = true;
			in->start = in->end;
			return -1;
		}
		if (in->eof || in->stopped)
			return 0;
		if (!wait_input(in)) {
			/* what is in hand is not a whole line: left, as the rest */
			in->stopped = true;
			return 0;
		}
		if (in->start > 0) {
			memmove(in->buf, in->buf + in->start, in->end - in->start);
			in->end -= in->start;
			in->start = 0;
		}
		agrp_grow(&in->buf, &in->cap, in->end + 65536 + 1, 1);
		/* read(2), not fread(3), which waits for a full buffer: a line is
		 * converted as soon as it arrives */
		do
			got = read(in->fd, in->buf + in->end, in->cap - in->end - 1);
		while (got < 0 && errno == EINTR);
		if (got > 0) {
			in->end += (size_t)got;
			agr_progress_add(in->progress, (uint64_t)got);
		} else {
			in->eof = true;
			in->error = got < 0 ? errno : 0;
		}
	}
}

static void
import_stream(importer *im, const char *format, FILE *f)
{
	lines in = { .fd = fileno(f),
		     .stop = im->o ? im->o->stop : NULL,
		     .progress = im->o ? im->o->progress : NULL };
	const char *line;
	size_t len;
	long lineno = 0, first = 0;
	agrp_buf doc = { 0 };
	bool ndjson = false, decided = false, whole = true;
	agrp_span span;
	int got;

	agrp_grow(&in.buf, &in.cap, 65536, 1);
	while ((got = next_line(&in, &line, &len)) != 0) {
		json_error_t e;
		json_t *j;

		lineno++;
		if (!decided) {
			if (got > 0 && blank(line, len))
				continue;
			first = lineno;
			decided = true;
			/* A first line that is a whole value: one run a line. */
			if (got > 0 && agrp_openai_scan(im, format, line, len, &span)) {
				ndjson = true;
			} else {
				j = got > 0
				        ? json_loadb(line, len,
				                     JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e)
				        : NULL;
				ndjson = j != NULL;
				json_decref(j);
			}
		}
		if (!ndjson) {
			if (got < 0 || doc.n + len > AGR_MAX_FILE) {
				agrp_import_report(
				    im, 0, 0, "%s",
				    "larger than 64 MiB, the most a document read whole may hold");
				whole = false;
				break;
			}
			agrp_buf_add(&doc, line, len);
			continue;
		}
		if (got < 0) {
			agrp_import_report(im, lineno, 1, "%s", "line longer than 64 MiB");
			continue;
		}
		if (blank(line, len))
			continue;
		im->line = lineno;
		if (agrp_openai_scan(im, format, line, len, &span)) {
			agrp_openai_convert(im, &span, false);
			continue;
		}
		j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
		if (j == NULL) {
			agrp_import_report(im, lineno, e.column > 0 ? e.column : 1, "%s", e.text);
			continue;
		}
		convert(im, format, j, false);
		json_decref(j);
	}
	if (in.error != 0)
		agrp_import_report(im, 0, 0, "%s", strerror(in.error));
	if (decided && !ndjson && whole && !in.stopped &&
	    agrp_openai_scan(im, format, doc.p, doc.n, &span)) {
		im->line = 0;
		agrp_openai_convert(im, &span, true);
	} else if (decided && !ndjson && whole && !in.stopped) {
		json_error_t e;
		json_t *j = json_loadb(doc.p, doc.n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);

		im->line = 0;
		if (j == NULL)
			agrp_import_report(im, first - 1 + (e.line > 0 ? e.line : 1),
			                   e.column > 0 ? e.column : 1, "%s", e.text);
		else
			convert(im, format, j, true);
		json_decref(j);
	}
	free(doc.p);
	free(in.buf);
}

static bool
known_format(const char *format)
{
	return strcmp(format, "openai") == 0 || strcmp(format, "swe-agent") == 0 ||
	       strcmp(format, "chatlog") == 0 || strcmp(format, "otel") == 0;
}

long
agr_import(const char *format, const char *const *paths, int npaths, const agr_import_opts *o,
           agr_write_fn out, void *ctx, agr_error_fn on_error, void *ectx)
{
	static const char *const stdin_only[] = { "-" };
	importer im = { .o = o, .out = out, .ctx = ctx, .on_error = on_error, .ectx = ectx };

	if (!known_format(format)) {
		im.source = "";
		agrp_import_report(&im, 0, 0,
		                   "unknown format '%s' (known: openai, swe-agent, chatlog, otel)",
		                   format);
		return im.errors;
	}
	if (npaths == 0) {
		paths = stdin_only;
		npaths = 1;
	}
	if (o != NULL)
		agr_progress_total_files(o->progress, paths, npaths);
	im.otel = json_array();
	for (int i = 0; i < npaths && !(o && o->stop && *o->stop); i++) {
		FILE *f = strcmp(paths[i], "-") == 0 ? stdin : fopen(paths[i], "r");

		im.source = paths[i];
		im.runs = 0;
		if (f == NULL) {
			agrp_import_report(&im, 0, 0, "%s", strerror(errno));
			continue;
		}
		import_stream(&im, format, f);
		if (f != stdin)
			fclose(f);
	}
	if (strcmp(format, "otel") == 0)
		agrp_otel_flush(&im);
	json_decref(im.otel);
	json_decref(im.run_fields);
	free(im.buf.p);
	agrp_openai_free(&im);
	return im.errors;
}
