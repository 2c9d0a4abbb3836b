/*
 * report.c - verdicts written for people (text), programs (ndjson), CI
 * test reports (JUnit XML) and GitHub workflow annotations.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"

struct agr_report {
	agr_format fmt;
	FILE *out;
	bool verbose;
	size_t pass, fail;
	size_t errors;    /* input that could not be read: JUnit error cases */
	char *last_trace; /* a trace's verdicts come together: a new id, a new trace */
	size_t ntraces;
	char *junit; /* testcases, kept until the counts are known */
	size_t junit_len, junit_cap;
};

agr_report *
agr_report_new(agr_format fmt, FILE *out, bool verbose)
{
	agr_report *r = agrp_xcalloc(1, sizeof *r);

	r->fmt = fmt;
	r->out = out;
	r->verbose = verbose;
	return r;
}

void
agr_report_free(agr_report *r)
{
	if (r == NULL)
		return;
	free(r->last_trace);
	free(r->junit);
	free(r);
}

size_t
agr_report_failures(const agr_report *r)
{
	return r->fail;
}

static void
junit_put(agr_report *r, const char *s, size_t n)
{
	agrp_grow(&r->junit, &r->junit_cap, r->junit_len + n + 1, 1);
	memcpy(r->junit + r->junit_len, s, n);
	r->junit_len += n;
	r->junit[r->junit_len] = '\0';
}

#define junit_lit(r, lit) junit_put(r, lit, sizeof lit - 1)

static void
text_put(FILE *out, const char *s, bool as_id)
{
	char *t = agrp_text(s, as_id);

	fputs(t, out);
	free(t);
}

/* XML text: markup characters as entities, line ends and tabs as
 * character references (an attribute keeps them so), and what XML 1.0
 * cannot carry (other control characters, U+FFFE, U+FFFF, bytes that are
 * not UTF-8) as U+FFFD. */
static void
junit_text(agr_report *r, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	unsigned long c;
	char ref[16];

	while (p < end) {
		size_t n = agrp_utf8_len(p, end, &c);

		if (n == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xfffe ||
		    c == 0xffff) {
			junit_lit(r, "\xef\xbf\xbd");
			p += n ? n : 1;
			continue;
		}
		switch (c) {
		case '&':
			junit_lit(r, "&amp;");
			break;
		case '<':
			junit_lit(r, "&lt;");
			break;
		case '>':
			junit_lit(r, "&gt;");
			break;
		case '"':
			junit_lit(r, "&quot;");
			break;
		case '\'':
			junit_lit(r, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			snprintf(ref, sizeof ref, "&#%lu;", c);
			junit_put(r, ref, strlen(ref));
			break;
		default:
			junit_put(r, (const char *)p, n);
		}
		p += n;
	}
}

/* GitHub's workflow commands: %, CR and LF escaped; in properties : and ,
 * too, as the runner reads them.  What else cannot be seen (ESC, which
 * the log would take for a colour or a cursor move, other control
 * characters, bytes that are not UTF-8) is written as in text. */
static void
github_text(FILE *out, const char *s, bool property)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	unsigned long c;

	while (p < end) {
		size_t n = agrp_utf8_len(p, end, &c);

		if (n == 0 || (agrp_unseen(c) && c != '\r' && c != '\n')) {
			size_t m = n ? n : 1;
			char one[8];

			memcpy(one, p, m);
			one[m] = '\0';
			text_put(out, one, false);
			p += m;
			continue;
		}
		if (c == '%')
			fputs("%25", out);
		else if (c == '\r')
			fputs("%0D", out);
		else if (c == '\n')
			fputs("%0A", out);
		else if (property && c == ':')
			fputs("%3A", out);
		else if (property && c == ',')
			fputs("%2C", out);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}

/* A string for a JSON record: jansson takes only UTF-8, so anything else
 * (a file name, say) is made so, byte by byte as U+FFFD. */
static json_t *
json_text(const char *s)
{
	json_t *j = json_string(s);
	agrp_buf b = { 0 };
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	unsigned long c;

	if (j != NULL)
		return j;
	while (p < end) {
		size_t n = agrp_utf8_len(p, end, &c);

		agrp_buf_add(&b, n ? (const char *)p : "\xef\xbf\xbd", n ? n : 3);
		p += n ? n : 1;
	}
	j = json_string(b.p ? b.p : "");
	free(b.p);
	return j;
}

static const char *
shown(const char *id)
{
	return id[0] ? id : "\"\"";
}

bool
agr_format_from_name(const char *name, agr_format *out)
{
	static const char *const names[] = { "text", "ndjson", "junit", "github", "lint" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (agr_format)i;
			return true;
		}
	return false;
}

void
agr_report_verdict(agr_report *r, const agr_verdict *v)
{
	char num[64];

	if (r->last_trace == NULL || strcmp(r->last_trace, v->trace) != 0) {
		free(r->last_trace);
		r->last_trace = agrp_xstrdup(v->trace);
		r->ntraces++;
	}
	if (v->pass)
		r->pass++;
	else
		r->fail++;
	switch (r->fmt) {
	case AGR_FMT_LINT:
		if (v->pass)
			break;
		text_put(r->out, v->source, false);
		fprintf(r->out, ":%ld: trace ", v->line);
		text_put(r->out, v->trace, true);
		fputs(": ", r->out);
		text_put(r->out, v->reason, false);
		putc('\n', r->out);
		break;
	case AGR_FMT_TEXT:
		if (!v->pass || r->verbose) {
			fputs("trace ", r->out);
			text_put(r->out, v->trace, true);
			fputs(": ", r->out);
			text_put(r->out, v->contract, false);
		}
		if (!v->pass) {
			fprintf(r->out, ": FAIL at step %ld: ", v->step);
			text_put(r->out, v->reason, false);
			putc('\n', r->out);
		} else if (r->verbose) {
			fputs(": pass\n", r->out);
		}
		break;
	case AGR_FMT_NDJSON: {
		json_t *o = json_object();

		json_object_set_new(o, "trace", json_text(v->trace));
		json_object_set_new(o, "kind", json_string("verdict"));
		json_object_set_new(o, "contract", json_text(v->contract));
		json_object_set_new(o, "status", json_string(v->pass ? "pass" : "fail"));
		if (!v->pass) {
			json_object_set_new(o, "step", json_integer(v->step));
			json_object_set_new(o, "reason", json_text(v->reason));
			if (v->source != NULL) {
				json_object_set_new(o, "file", json_text(v->source));
				json_object_set_new(o, "line", json_integer(v->line));
			}
		}
		agr_write_json(r->out, o);
		json_decref(o);
		break;
	}
	case AGR_FMT_JUNIT:
		/* the trace in the name too: many consoles show no classname */
		junit_lit(r, "    <testcase classname=\"");
		junit_text(r, v->trace);
		junit_lit(r, "\" name=\"");
		junit_text(r, shown(v->trace));
		junit_lit(r, ": ");
		junit_text(r, v->contract);
		if (v->pass) {
			junit_lit(r, "\"/>\n");
			break;
		}
		junit_lit(r, "\">\n      <failure message=\"");
		snprintf(num, sizeof num, "step %ld: ", v->step);
		junit_text(r, num);
		junit_text(r, v->reason);
		junit_lit(r, "\" type=\"contract\">");
		if (v->source != NULL) {
			snprintf(num, sizeof num, ":%ld", v->line);
			junit_text(r, v->source);
			junit_text(r, num);
		}
		junit_lit(r, "</failure>\n    </testcase>\n");
		break;
	case AGR_FMT_GITHUB:
		if (v->pass)
			break;
		fputs("::error ", r->out);
		if (v->source != NULL && strcmp(v->source, "-") != 0) {
			fputs("file=", r->out);
			github_text(r->out, v->source, true);
			fprintf(r->out, ",line=%ld,", v->line);
		}
		fputs("title=", r->out);
		github_text(r->out, v->contract, true);
		fputs("::trace ", r->out);
		github_text(r->out, shown(v->trace), false);
		fputs(": ", r->out);
		github_text(r->out, v->contract, false);
		fprintf(r->out, ": FAIL at step %ld: ", v->step);
		github_text(r->out, v->reason, false);
		putc('\n', r->out);
		break;
	}
}

/* "source:line:col", the parts that are known, as agr_error_print()
 * writes them. */
static void
junit_where(agr_report *r, const agr_error *e)
{
	char num[64];

	junit_text(r, e->source[0] ? e->source : "-");
	if (e->line > 0) {
		snprintf(num, sizeof num, ":%ld", e->line);
		junit_text(r, num);
	}
	if (e->line > 0 && e->column > 0) {
		snprintf(num, sizeof num, ":%ld", e->column);
		junit_text(r, num);
	}
}

void
agr_report_error(agr_report *r, const agr_error *e)
{
	r->errors++;
	if (r->fmt != AGR_FMT_JUNIT)
		return;
	junit_lit(r, "    <testcase classname=\"");
	junit_text(r, e->source[0] ? e->source : "-");
	junit_lit(r, "\" name=\"");
	junit_where(r, e);
	junit_lit(r, ": unreadable\">\n      <error message=\"");
	junit_text(r, e->text);
	junit_lit(r, "\" type=\"input\">");
	junit_where(r, e);
	junit_lit(r, ": ");
	junit_text(r, e->text);
	junit_lit(r, "</error>\n    </testcase>\n");
}

void
agr_report_finish(agr_report *r)
{
	switch (r->fmt) {
	case AGR_FMT_TEXT:
		fprintf(r->out, "%zu trace%s, %zu verdict%s: %zu pass, %zu fail\n", r->ntraces,
		        r->ntraces == 1 ? "" : "s", r->pass + r->fail,
		        r->pass + r->fail == 1 ? "" : "s", r->pass, r->fail);
		break;
	case AGR_FMT_JUNIT:
		fprintf(
		    r->out,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuites name=\"agraph-trace check\" tests=\"%zu\" failures=\"%zu\" "
		    "errors=\"%zu\">\n"
		    "  <testsuite name=\"contracts\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "skipped=\"0\">\n",
		    r->pass + r->fail + r->errors, r->fail, r->errors,
		    r->pass + r->fail + r->errors, r->fail, r->errors);
		if (r->junit_len > 0)
			fwrite(r->junit, 1, r->junit_len, r->out);
		fputs("  </testsuite>\n</testsuites>\n", r->out);
		break;
	default:
		break;
	}
}
