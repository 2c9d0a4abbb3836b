/*
 * report.c - verdicts written for people (text), programs (ndjson), CI
 * test reports (JUnit XML) and GitHub workflow annotations.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base_int.h"

struct agr_report {
	agr_format fmt;
	FILE *out;
	bool verbose;
	size_t pass, fail;
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

/* XML text: markup characters as entities, control characters (which XML
 * 1.0 cannot carry) as U+FFFD. */
static void
junit_text(agr_report *r, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
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
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				junit_lit(r, "\xef\xbf\xbd");
			else
				junit_put(r, s, 1);
		}
	}
}

/* GitHub's workflow commands: %, CR and LF escaped; in properties : and , too. */
static void
github_text(FILE *out, const char *s, bool property)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", out);
		else if (*s == '\r')
			fputs("%0D", out);
		else if (*s == '\n')
			fputs("%0A", out);
		else if (property && *s == ':')
			fputs("%3A", out);
		else if (property && *s == ',')
			fputs("%2C", out);
		else
			putc(*s, out);
	}
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
		if (!v->pass)
			fprintf(r->out, "%s:%ld: trace %s: %s\n", v->source, v->line,
			        shown(v->trace), v->reason);
		break;
	case AGR_FMT_TEXT:
		if (!v->pass)
			fprintf(r->out, "trace %s: %s: FAIL at step %ld: %s\n", shown(v->trace),
			        v->contract, v->step, v->reason);
		else if (r->verbose)
			fprintf(r->out, "trace %s: %s: pass\n", shown(v->trace), v->contract);
		break;
	case AGR_FMT_NDJSON: {
		json_t *o = json_object();

		json_object_set_new(o, "trace", json_string(v->trace));
		json_object_set_new(o, "kind", json_string("verdict"));
		json_object_set_new(o, "contract", json_string(v->contract));
		json_object_set_new(o, "status", json_string(v->pass ? "pass" : "fail"));
		if (!v->pass) {
			json_object_set_new(o, "step", json_integer(v->step));
			json_object_set_new(o, "reason", json_string(v->reason));
			if (v->source != NULL) {
				json_object_set_new(o, "file", json_string(v->source));
				json_object_set_new(o, "line", json_integer(v->line));
			}
		}
		agr_write_json(r->out, o);
		json_decref(o);
		break;
	}
	case AGR_FMT_JUNIT:
		junit_lit(r, "    <testcase classname=\"");
		junit_text(r, v->trace);
		junit_lit(r, "\" name=\"");
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
		fprintf(r->out, ": %s: FAIL at step %ld: ", v->contract, v->step);
		github_text(r->out, v->reason, false);
		putc('\n', r->out);
		break;
	}
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
		    "<testsuites name=\"agraph-trace check\" tests=\"%zu\" failures=\"%zu\">\n"
		    "  <testsuite name=\"contracts\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		    "skipped=\"0\">\n",
		    r->pass + r->fail, r->fail, r->pass + r->fail, r->fail);
		if (r->junit_len > 0)
			fwrite(r->junit, 1, r->junit_len, r->out);
		fputs("  </testsuite>\n</testsuites>\n", r->out);
		break;
	default:
		break;
	}
}
