/*
 * draw.c - what the pictures of render.c and lineage.c share: a graphviz
 * graph opened in process and laid out, graphviz's errors kept for the
 * caller, ids and labels made safe, and the legend of the looks used.
 */
#include <gvc.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

static char render_errors[1024];

/* graphviz's errors, kept for the caller instead of printed. */
static int
keep_error(char *msg)
{
	size_t n = strlen(render_errors);

	if (n + 1 < sizeof render_errors)
		snprintf(render_errors + n, sizeof render_errors - n, "%s", msg);
	return 0;
}

/* graphviz's message, on one line and without its "Error: ". */
static const char *
errors(void)
{
	char *p = render_errors;
	size_t n;

	for (char *q = p; *q != '\0'; q++)
		if (*q == '\n')
			*q = ' ';
	if (strncmp(p, "Error: ", 7) == 0)
		p += 7;
	for (n = strlen(p); n > 0 && p[n - 1] == ' '; n--)
		p[n - 1] = '\0';
	return p;
}

void
agrp_draw_set(void *obj, const char *key, const char *value)
{
	/* graphviz 2.42 takes char *; it copies and never writes them. */
	agsafeset(obj, (char *)key, (char *)value, (char *)"");
}

/* An id for SVG: prefix, then a and b (if any) joined by _, in each
 * letters and digits as they are and any other byte as . and two hex
 * digits (A_B is A.5fB), so that no two names share an id and an _ only
 * ever joins.  Not -, which graphviz writes as &#45;. */
void
agrp_draw_make_id(char *out, size_t cap, const char *prefix, const char *a, const char *b)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = (size_t)snprintf(out, cap, "%s", prefix);

	for (const char *parts[2] = { a, b }, **p = parts; p < parts + 2; p++) {
		if (*p == NULL)
			continue;
		if (p > parts && n + 1 < cap)
			out[n++] = '_';
		for (const char *s = *p; *s != '\0' && n + 3 < cap; s++) {
			unsigned char c = (unsigned char)*s;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9')) {
				out[n++] = (char)c;
			} else {
				out[n++] = '.';
				out[n++] = hex[c >> 4];
				out[n++] = hex[c & 15];
			}
		}
	}
	out[n < cap ? n : cap - 1] = '\0';
}

/* Ids already given in this drawing: one given twice (a step that two
 * records share, a name too long for the buffer) gets .2, .3, ... after
 * it, in the order the elements are drawn. */
static agrp_map given_ids;

void
agrp_draw_set_id(void *obj, char *id, size_t cap)
{
	size_t len = strlen(id);

	for (unsigned long k = 2; agrp_map_get(&given_ids, id) != NULL; k++)
		snprintf(id + len, cap - len, ".%lu", k);
	agrp_map_put(&given_ids, id, (void *)1);
	agrp_draw_set(obj, "id", id);
}

/* A plain label: graphviz reads \N, \G, \L, \n... in it, so that a name
 * holding a backslash is drawn as itself only with each \ doubled. */
void
agrp_draw_set_text(void *obj, const char *key, const char *text)
{
	agrp_buf b = { 0 };

	agrp_buf_str(&b, "");
	for (const char *p = text; *p != '\0'; p++)
		if (*p == '\\')
			agrp_buf_str(&b, "\\\\");
		else
			agrp_buf_add(&b, p, 1);
	agrp_draw_set(obj, key, b.p);
	free(b.p);
}

typedef struct legend_entry {
	bool edge;                  /* drawn as a line, else as a box */
	const char *ink, *fill;     /* line or border colour; box fill */
	const char *border, *style; /* width in points; solid, dashed, dotted */
	const char *text;
} legend_entry;

static const legend_entry legend_entries[AGRP_KEY_COUNT] = {
	[AGRP_KEY_WALKED] = { true, OK_INK, NULL, "3", "solid", "walked" },
	[AGRP_KEY_WALKED_REPLANNED] = { true, REROUTE_INK, NULL, "3", "solid",
	                                "walked, on a new plan" },
	[AGRP_KEY_REPLANNED] = { true, REROUTE_INK, NULL, "2", "dashed", "new plan, not walked" },
	[AGRP_KEY_PLANNED] = { true, PLAN_INK, NULL, "2", "dotted", "first plan, not walked" },
	[AGRP_KEY_COMPLETED] = { false, OK_INK, OK_FILL, "1", "solid", "completed" },
	[AGRP_KEY_FAILED] = { false, FAIL_INK, FAIL_FILL, "2", "solid",
	                      "failed (octagon), with its error class" },
	[AGRP_KEY_IDLE] = { false, INK, "#ffffff", "1", "solid", "not called" },
	[AGRP_KEY_DOWN] = { false, INK, DOWN_FILL, "1", "dashed", "down" },
	[AGRP_KEY_FAULTED] = { false, INK, FAULT_FILL, "1", "solid", "fault planted" },
	[AGRP_KEY_ESCALATED] = { false, ESCALATE_INK, "#ffffff", "3", "solid", "escalated there" },
	[AGRP_KEY_FALLBACK] = { false, INK, "#ffffff", "1", "dashed",
	                        "fallback goal (double, dashed)" },
	[AGRP_KEY_DEMOTED] = { false, REROUTE_INK, "#ffffff", "1", "solid",
	                       "demoted to (double border)" },
	[AGRP_KEY_CAUSE] = { true, FAIL_INK, NULL, "2", "solid", "cause" },
	[AGRP_KEY_ANSWERS] = { true, ANSWER_INK, NULL, "1", "dashed", "answers its call" },
	[AGRP_KEY_FAILED_RECORD] = { false, FAIL_INK, FAIL_FILL, "1", "solid",
	                             "failed result (octagon)" },
	[AGRP_KEY_FAULT_RECORD] = { false, ESCALATE_INK, FAULT_FILL, "1", "solid",
	                            "fault (diamond)" },
};

/* The looks this drawing has used so far: the legend shows those only. */
static bool legend_used[AGRP_KEY_COUNT];

void
agrp_draw_use(agrp_legend_key key)
{
	legend_used[key] = true;
}

/* Legend entries on a line under the title. */
#define LEGEND_COLUMNS 4

static void
legend_sample(agrp_buf *b, const legend_entry *l)
{
	/* a line is the bottom border of a cell, a box a filled cell */
	agrp_buf_str(b, l->edge ? "<TD FIXEDSIZE=\"TRUE\" WIDTH=\"30\" HEIGHT=\"8\" SIDES=\"B\""
	                        : "<TD FIXEDSIZE=\"TRUE\" WIDTH=\"18\" HEIGHT=\"10\"");
	if (l->fill != NULL) {
		agrp_buf_str(b, " BGCOLOR=\"");
		agrp_buf_str(b, l->fill);
		agrp_buf_str(b, "\"");
	}
	agrp_buf_str(b, " BORDER=\"");
	agrp_buf_str(b, l->border);
	agrp_buf_str(b, "\" COLOR=\"");
	agrp_buf_str(b, l->ink);
	agrp_buf_str(b, "\" STYLE=\"");
	agrp_buf_str(b, l->style);
	agrp_buf_str(b, "\"></TD><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"9\">");
	agrp_draw_html(b, l->text);
	agrp_buf_str(b, "</FONT></TD>");
}

/* The graph's label: the title, and under it a sample and a few words for
 * each look the drawing uses (lines, then boxes); the title alone when it
 * uses none.  In the label, not in a cluster of sample nodes, so that it
 * neither moves the graph nor depends on the layout engine. */
void
agrp_draw_title(Agraph_t *gg, const char *title)
{
	agrp_buf b = { 0 };
	int on_line = 0, last = -1;
	char *h;

	if (memchr(legend_used, true, sizeof legend_used) == NULL) {
		agrp_draw_set_text(gg, "label", title);
		return;
	}
	agrp_buf_str(&b, "<TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\"><TR><TD>");
	agrp_draw_html(&b, title);
	agrp_buf_str(&b, "</TD></TR>");
	for (int k = 0; k < AGRP_KEY_COUNT; k++) {
		const legend_entry *l = &legend_entries[k];

		if (!legend_used[k])
			continue;
		/* each line its own table, so that samples keep their size */
		if (on_line > 0 &&
		    (on_line == LEGEND_COLUMNS || l->edge != legend_entries[last].edge)) {
			agrp_buf_str(&b, "</TR></TABLE></TD></TR>");
			on_line = 0;
		}
		if (on_line++ == 0)
			agrp_buf_str(&b, "<TR><TD><TABLE BORDER=\"0\" CELLSPACING=\"4\" "
			                 "CELLPADDING=\"0\"><TR>");
		legend_sample(&b, l);
		last = k;
	}
	agrp_buf_str(&b, "</TR></TABLE></TD></TR></TABLE>");
	h = agstrdup_html(gg, b.p);
	agrp_draw_set(gg, "label", h);
	agstrfree(gg, h);
	free(b.p);
}

bool
agrp_draw_finish(GVC_t *gvc, Agraph_t *gg, const agr_render_opts *o, const char *source, char **out,
                 size_t *len, agr_error *err)
{
	char *data = NULL;
	unsigned int n = 0;
	bool ok = false;

	if (gvLayout(gvc, gg, o->layout ? o->layout : "dot") != 0) {
		agrp_error_set(err, source, 0, 0, "graphviz cannot lay out with '%s'%s%s",
		               o->layout ? o->layout : "dot", render_errors[0] ? ": " : "",
		               errors());
	} else {
		if (gvRenderData(gvc, gg, o->format ? o->format : "svg", &data, &n) != 0)
			agrp_error_set(err, source, 0, 0, "graphviz cannot write format '%s'%s%s",
			               o->format ? o->format : "svg", render_errors[0] ? ": " : "",
			               errors());
		else
			ok = true;
		gvFreeLayout(gvc, gg);
	}
	if (ok) {
		*out = agrp_xmalloc(n + 1);
		memcpy(*out, data, n);
		(*out)[n] = '\0';
		*len = n;
	}
	if (data != NULL)
		gvFreeRenderData(data);
	agclose(gg);
	gvFreeContext(gvc);
	agrp_map_free(&given_ids);
	return ok;
}

Agraph_t *
agrp_draw_open(const char *name, GVC_t **gvc)
{
	Agraph_t *gg;

	render_errors[0] = '\0';
	agrp_map_free(&given_ids);
	memset(legend_used, 0, sizeof legend_used);
	agseterr(AGERR);
	agseterrf(keep_error);
	*gvc = gvContext();
	gg = agopen((char *)name, Agdirected, NULL);
	agrp_draw_set(gg, "fontname", "Helvetica");
	agrp_draw_set(gg, "fontsize", "12");
	agrp_draw_set(gg, "labelloc", "t");
	agrp_draw_set(gg, "nodesep", "0.35");
	agrp_draw_set(gg, "ranksep", "0.5");
	agattr(gg, AGNODE, (char *)"fontname", (char *)"Helvetica");
	agattr(gg, AGNODE, (char *)"fontsize", (char *)"11");
	agattr(gg, AGEDGE, (char *)"fontname", (char *)"Helvetica");
	agattr(gg, AGEDGE, (char *)"fontsize", (char *)"9");
	return gg;
}

/* Appends text to out, escaped for a graphviz HTML label. */
void
agrp_draw_html(agrp_buf *out, const char *text)
{
	for (const char *p = text; *p != '\0'; p++)
		switch (*p) {
		case '&':
			agrp_buf_str(out, "&amp;");
			break;
		case '<':
			agrp_buf_str(out, "&lt;");
			break;
		case '>':
			agrp_buf_str(out, "&gt;");
			break;
		case '"':
			agrp_buf_str(out, "&quot;");
			break;
		case '\n':
			agrp_buf_str(out, "<BR/>");
			break;
		case '\\': /* else graphviz reads \N, \G, \L in it */
			agrp_buf_str(out, "&#92;");
			break;
		default:
			agrp_buf_add(out, p, 1);
		}
}
