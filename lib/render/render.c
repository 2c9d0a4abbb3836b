/*
 * render.c - the tool graph and a run over it, or a trace's cause graph,
 * drawn by graphviz in process (libgvc): no `dot` is run.
 *
 * Every node and edge gets an id and classes that say what it is and
 * what the run did there, so that SVG can be styled and tested; the
 * colours and line styles carry the same at a glance.
 */
#include <gvc.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_int.h"

/* Colours: what a reviewer reads first. */
#define INK "#37474f"
#define OK_FILL "#c8e6c9"
#define OK_INK "#1b5e20"
#define FAIL_FILL "#ffcdd2"
#define FAIL_INK "#c62828"
#define REROUTE_INK "#1565c0"
#define ESCALATE_INK "#e65100"
#define DOWN_FILL "#eceff1"
#define FAULT_FILL "#ffe0b2"
#define PLAN_INK "#607d8b"
#define ANSWER_INK "#78909c"

static void html(agrp_buf *out, const char *text);

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

static const char *
or_empty(const char *s)
{
	return s ? s : "";
}

static void
set(void *obj, const char *key, const char *value)
{
	/* graphviz 2.42 takes char *; it copies and never writes them. */
	agsafeset(obj, (char *)key, (char *)value, (char *)"");
}

/* An id for SVG: prefix, then a and b (if any) joined by _, in each
 * letters and digits as they are and any other byte as . and two hex
 * digits (A_B is A.5fB), so that no two names share an id and an _ only
 * ever joins.  Not -, which graphviz writes as &#45;. */
static void
make_id(char *out, size_t cap, const char *prefix, const char *a, const char *b)
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

static void
set_id(void *obj, char *id, size_t cap)
{
	size_t len = strlen(id);

	for (unsigned long k = 2; agrp_map_get(&given_ids, id) != NULL; k++)
		snprintf(id + len, cap - len, ".%lu", k);
	agrp_map_put(&given_ids, id, (void *)1);
	set(obj, "id", id);
}

/* A plain label: graphviz reads \N, \G, \L, \n... in it, so that a name
 * holding a backslash is drawn as itself only with each \ doubled. */
static void
set_text(void *obj, const char *key, const char *text)
{
	agrp_buf b = { 0 };

	agrp_buf_str(&b, "");
	for (const char *p = text; *p != '\0'; p++)
		if (*p == '\\')
			agrp_buf_str(&b, "\\\\");
		else
			agrp_buf_add(&b, p, 1);
	set(obj, key, b.p);
	free(b.p);
}

/* ---- the legend ------------------------------------------------------ */

/* Each look the drawing can give a node or an edge, and what it means.
 * Each differs from the others by more than colour or stroke width (a
 * line style, a shape, a fill, words), for readers who do not tell the
 * colours apart and for greyscale print. */
enum legend_key {
	KEY_WALKED,
	KEY_WALKED_REPLANNED,
	KEY_REPLANNED,
	KEY_PLANNED,
	KEY_COMPLETED,
	KEY_FAILED,
	KEY_IDLE,
	KEY_DOWN,
	KEY_FAULTED,
	KEY_ESCALATED,
	KEY_FALLBACK,
	KEY_DEMOTED,
	KEY_CAUSE,
	KEY_ANSWERS,
	KEY_FAILED_RECORD,
	KEY_FAULT_RECORD,
	KEY_COUNT
};

typedef struct legend_entry {
	bool edge;                  /* drawn as a line, else as a box */
	const char *ink, *fill;     /* line or border colour; box fill */
	const char *border, *style; /* width in points; solid, dashed, dotted */
	const char *text;
} legend_entry;

static const legend_entry legend_entries[KEY_COUNT] = {
	[KEY_WALKED] = { true, OK_INK, NULL, "3", "solid", "walked" },
	[KEY_WALKED_REPLANNED] = { true, REROUTE_INK, NULL, "3", "solid", "walked, on a new plan" },
	[KEY_REPLANNED] = { true, REROUTE_INK, NULL, "2", "dashed", "new plan, not walked" },
	[KEY_PLANNED] = { true, PLAN_INK, NULL, "2", "dotted", "first plan, not walked" },
	[KEY_COMPLETED] = { false, OK_INK, OK_FILL, "1", "solid", "completed" },
	[KEY_FAILED] = { false, FAIL_INK, FAIL_FILL, "2", "solid",
	                 "failed (octagon), with its error class" },
	[KEY_IDLE] = { false, INK, "#ffffff", "1", "solid", "not called" },
	[KEY_DOWN] = { false, INK, DOWN_FILL, "1", "dashed", "down" },
	[KEY_FAULTED] = { false, INK, FAULT_FILL, "1", "solid", "fault planted" },
	[KEY_ESCALATED] = { false, ESCALATE_INK, "#ffffff", "3", "solid", "escalated there" },
	[KEY_FALLBACK] = { false, INK, "#ffffff", "1", "dashed", "fallback goal (double, dashed)" },
	[KEY_DEMOTED] = { false, REROUTE_INK, "#ffffff", "1", "solid",
	                  "demoted to (double border)" },
	[KEY_CAUSE] = { true, FAIL_INK, NULL, "2", "solid", "cause" },
	[KEY_ANSWERS] = { true, ANSWER_INK, NULL, "1", "dashed", "answers its call" },
	[KEY_FAILED_RECORD] = { false, FAIL_INK, FAIL_FILL, "1", "solid",
	                        "failed result (octagon)" },
	[KEY_FAULT_RECORD] = { false, ESCALATE_INK, FAULT_FILL, "1", "solid", "fault (diamond)" },
};

/* The looks this drawing has used so far: the legend shows those only. */
static bool legend_used[KEY_COUNT];

static void
use(enum legend_key key)
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
	html(b, l->text);
	agrp_buf_str(b, "</FONT></TD>");
}

/* The graph's label: the title, and under it a sample and a few words for
 * each look the drawing uses (lines, then boxes); the title alone when it
 * uses none.  In the label, not in a cluster of sample nodes, so that it
 * neither moves the graph nor depends on the layout engine. */
static void
set_title(Agraph_t *gg, const char *title)
{
	agrp_buf b = { 0 };
	int on_line = 0, last = -1;
	char *h;

	if (memchr(legend_used, true, sizeof legend_used) == NULL) {
		set_text(gg, "label", title);
		return;
	}
	agrp_buf_str(&b, "<TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\"><TR><TD>");
	html(&b, title);
	agrp_buf_str(&b, "</TD></TR>");
	for (int k = 0; k < KEY_COUNT; k++) {
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
	set(gg, "label", h);
	agstrfree(gg, h);
	free(b.p);
}

static bool
finish(GVC_t *gvc, Agraph_t *gg, const agr_render_opts *o, const char *source, char **out,
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

static Agraph_t *
open_graph(const char *name, GVC_t **gvc)
{
	Agraph_t *gg;

	render_errors[0] = '\0';
	agrp_map_free(&given_ids);
	memset(legend_used, 0, sizeof legend_used);
	agseterr(AGERR);
	agseterrf(keep_error);
	*gvc = gvContext();
	gg = agopen((char *)name, Agdirected, NULL);
	set(gg, "fontname", "Helvetica");
	set(gg, "fontsize", "12");
	set(gg, "labelloc", "t");
	set(gg, "nodesep", "0.35");
	set(gg, "ranksep", "0.5");
	agattr(gg, AGNODE, (char *)"fontname", (char *)"Helvetica");
	agattr(gg, AGNODE, (char *)"fontsize", (char *)"11");
	agattr(gg, AGEDGE, (char *)"fontname", (char *)"Helvetica");
	agattr(gg, AGEDGE, (char *)"fontsize", (char *)"9");
	return gg;
}

/* ---- a run over the tool graph -------------------------------------- */

typedef struct tool_state {
	bool called, completed, failed, down, fault;
	int failures;
	char error[64];  /* the last failure's class */
	char notes[256]; /* monitors, reroutes, demotion, escalation */
	bool reroute_point, escalated, demoted_goal;
} tool_state;

typedef struct run_view {
	const agr_graph *g;
	tool_state *t;
	unsigned char *walked_edge;   /* per edge index */
	unsigned char *rerouted_edge; /* per edge index: a new plan's, not walked */
	unsigned char *planned_edge;  /* per edge index: the first plan's */
	const char *final;
	long reroutes;
} run_view;

static void
note(tool_state *t, const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(t->notes);

	if (n + 2 >= sizeof t->notes)
		return;
	if (n > 0)
		t->notes[n++] = '\n';
	snprintf(t->notes + n, sizeof t->notes - n, fmt, a, b ? b : "");
}

/* The node indices of a record's path, into path (room for n). */
static size_t
path_of(const run_view *v, const json_t *rec, int *path, size_t n)
{
	size_t i, len = 0;
	json_t *name;

	json_array_foreach(json_object_get(rec, "path"), i, name)
	{
		int node =
		    json_is_string(name) ? agr_graph_find(v->g, json_string_value(name)) : -1;

		if (node >= 0 && len < n)
			path[len++] = node;
	}
	return len;
}

static void
mark_path(const run_view *v, const int *path, size_t len, unsigned char *edges)
{
	for (size_t i = 0; i + 1 < len; i++) {
		long e = agrp_graph_edge_index(v->g, path[i], path[i + 1]);

		if (e >= 0)
			edges[e] = 1;
	}
}

static void
read_run(run_view *v, const agr_recording *rc)
{
	size_t n = agr_graph_node_count(v->g), nrec = agr_recording_size(rc);
	int *path = agrp_xmalloc((n + 1) * sizeof *path), *walked = NULL;
	size_t walked_len = 0, nwalk = 0, plans = 0;
	int last_done = agr_graph_start(v->g);
	bool ended = false;

	walked = agrp_xmalloc((n + 1) * sizeof *walked);
	walked[nwalk++] = last_done;
	for (size_t i = 0; i < nrec; i++) {
		const json_t *rec = agr_record_json(agr_recording_record(rc, i));
		const char *kind = agr_json_str(rec, "kind"),
		           *tool_name = agr_json_str(rec, "tool");
		int tool = tool_name ? agr_graph_find(v->g, tool_name) : -1;
		tool_state *t = tool >= 0 ? &v->t[tool] : NULL;
		size_t len;

		if (kind == NULL)
			continue;
		if (strcmp(kind, "call") == 0 && t) {
			t->called = true;
		} else if (strcmp(kind, "result") == 0 && t) {
			const char *status = agr_json_str(rec, "status");
			const char *cls = agr_json_str(json_object_get(rec, "error"), "class");

			if (status != NULL && strcmp(status, "ok") == 0) {
				if (t->failed)
					note(t, "ok after %s", t->error, NULL);
				t->completed = true;
				t->failed = false;
				if (nwalk <= n && walked[nwalk - 1] != tool)
					walked[nwalk++] = tool;
				last_done = tool;
			} else {
				t->failed = true;
				t->failures++;
				snprintf(t->error, sizeof t->error, "%s",
				         cls      ? cls
				         : status ? status
				                  : "failed");
			}
		} else if (strcmp(kind, "health") == 0 && t) {
			const char *monitor = agr_json_str(rec, "monitor");

			if (monitor != NULL)
				note(t, "monitor %s: %s", monitor, agr_json_str(rec, "action"));
			else
				t->down =
				    strcmp(or_empty(agr_json_str(rec, "status")), "down") == 0;
		} else if (strcmp(kind, "fault") == 0 && t) {
			t->fault = true;
			note(t, "fault: %s", or_empty(agr_json_str(rec, "fault")), NULL);
		} else if (strcmp(kind, "route") == 0 || strcmp(kind, "reroute") == 0 ||
		           strcmp(kind, "demote") == 0) {
			len = path_of(v, rec, path, n + 1);
			mark_path(v, path, len, plans++ == 0 ? v->planned_edge : v->rerouted_edge);
			if (strcmp(kind, "route") != 0 && len > 0) {
				v->t[path[0]].reroute_point = true;
				if (strcmp(kind, "demote") == 0)
					note(&v->t[path[0]], "demoted to %s",
					     or_empty(agr_json_str(rec, "goal")), NULL);
				else
					note(&v->t[path[0]], "rerouted around %s",
					     or_empty(tool_name), NULL);
				v->reroutes += strcmp(kind, "reroute") == 0;
			}
			if (strcmp(kind, "demote") == 0 && agr_json_str(rec, "goal")) {
				int goal = agr_graph_find(v->g, agr_json_str(rec, "goal"));

				if (goal >= 0)
					v->t[goal].demoted_goal = true;
			}
		} else if (strcmp(kind, "escalate") == 0) {
			v->t[last_done].escalated = true;
			note(&v->t[last_done], "escalated: %s",
			     or_empty(agr_json_str(rec, "reason")), NULL);
		} else if (strcmp(kind, "final") == 0 && !ended) {
			/* the run's status and path are those of its first final; what
			 * follows it is still drawn */
			ended = true;
			v->final = agr_json_str(rec, "status");
			walked_len = path_of(v, rec, path, n + 1);
			if (walked_len > 0) {
				memcpy(walked, path, walked_len * sizeof *path);
				nwalk = walked_len;
			}
		}
	}
	mark_path(v, walked, nwalk, v->walked_edge);
	free(path);
	free(walked);
}

/* Appends text to out, escaped for a graphviz HTML label. */
static void
html(agrp_buf *out, const char *text)
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

/* The name, and under it in smaller type what the run did there. */
static void
set_label(Agraph_t *gg, Agnode_t *n, const char *name, const char *detail, const char *ink)
{
	agrp_buf b = { 0 };
	char *h;

	agrp_buf_str(&b, "<");
	html(&b, name);
	if (detail[0] != '\0') {
		agrp_buf_str(&b, "<BR/><FONT POINT-SIZE=\"9\" COLOR=\"");
		agrp_buf_str(&b, ink);
		agrp_buf_str(&b, "\">");
		html(&b, detail);
		agrp_buf_str(&b, "</FONT>");
	}
	agrp_buf_str(&b, ">");
	/* the text between the outer < > is the label; graphviz marks it HTML */
	b.p[b.n - 1] = '\0';
	h = agstrdup_html(gg, b.p + 1);
	set(n, "label", h);
	agstrfree(gg, h);
	free(b.p);
}

static void
draw_node(const run_view *v, Agraph_t *gg, int node)
{
	const agr_graph *g = v->g;
	const char *name = agr_graph_node_name(g, node);
	const tool_state *t = v->t ? &v->t[node] : NULL;
	Agnode_t *n = agnode(gg, (char *)name, 1);
	char id[300], classes[200] = "tool", detail[600] = "", style[40];
	const char *ink = INK;
	bool fallback = false, rounded = true, dashed = false;

	for (size_t i = 0; i < agr_graph_fallback_count(g); i++)
		fallback |= agr_graph_fallback(g, i) == node;
	make_id(id, sizeof id, "node_", name, NULL);
	set_id(n, id, sizeof id);
	set(n, "shape", "box");
	set(n, "fillcolor", "#ffffff");
	set(n, "color", INK);
	if (node == agr_graph_start(g)) {
		strcat(classes, " start");
		rounded = false;
		set(n, "fillcolor", "#eeeeee");
		set(n, "penwidth", "2");
	}
	if (node == agr_graph_goal(g)) {
		strcat(classes, " goal");
		set(n, "peripheries", "2");
		set(n, "penwidth", "1.5");
	}
	if (fallback) {
		strcat(classes, " fallback");
		set(n, "peripheries", "2");
		dashed = true;
		use(KEY_FALLBACK);
	}
	if (t != NULL) {
		size_t len;

		if (t->completed) {
			strcat(classes, " completed");
			set(n, "fillcolor", OK_FILL);
			set(n, "color", OK_INK);
			use(KEY_COMPLETED);
		}
		if (t->failed) {
			/* a stop sign: a failure is told by its shape, not only red */
			strcat(classes, " failed");
			set(n, "shape", "octagon");
			rounded = false;
			set(n, "fillcolor", FAIL_FILL);
			set(n, "color", FAIL_INK);
			set(n, "fontcolor", FAIL_INK);
			set(n, "penwidth", "2");
			ink = FAIL_INK;
			use(KEY_FAILED);
			if (t->failures > 1)
				snprintf(detail, sizeof detail, "failed %d times: %s\n",
				         t->failures, t->error);
			else
				snprintf(detail, sizeof detail, "failed: %s\n", t->error);
		}
		if (t->down) {
			strcat(classes, " down");
			dashed = true;
			if (!t->failed)
				set(n, "fillcolor", DOWN_FILL);
			strncat(detail, "down\n", sizeof detail - strlen(detail) - 1);
			use(KEY_DOWN);
		}
		if (t->fault) {
			strcat(classes, " faulted");
			if (!t->failed && !t->completed) {
				set(n, "fillcolor", FAULT_FILL);
				use(KEY_FAULTED);
			}
		}
		if (t->reroute_point)
			strcat(classes, " reroute_point");
		if (t->demoted_goal) {
			strcat(classes, " demoted_goal");
			set(n, "peripheries", "2");
			set(n, "color", REROUTE_INK);
			use(KEY_DEMOTED);
		}
		if (t->escalated) {
			strcat(classes, " escalated");
			set(n, "color", ESCALATE_INK);
			set(n, "penwidth", "3");
			use(KEY_ESCALATED);
		}
		/* in the label: an xlabel may land by another node */
		strncat(detail, t->notes, sizeof detail - strlen(detail) - 1);
		len = strlen(detail);
		if (len > 0 && detail[len - 1] == '\n')
			detail[len - 1] = '\0';
		if (!t->called && !t->completed && node != agr_graph_start(g)) {
			strcat(classes, " idle");
			if (!t->down && !t->fault)
				use(KEY_IDLE);
		}
	}
	snprintf(style, sizeof style, "%sfilled%s", rounded ? "rounded," : "",
	         dashed ? ",dashed" : "");
	set(n, "style", style);
	set_label(gg, n, name, detail, ink);
	set(n, "class", classes);
}

bool
agr_render_graph(const agr_graph *g, const agr_recording *rc, const agr_render_opts *o, char **out,
                 size_t *len, agr_error *err)
{
	GVC_t *gvc;
	Agraph_t *gg;
	run_view v = { .g = g };
	size_t n = agr_graph_node_count(g);
	char title[600];

	agrp_graph_index((agr_graph *)g);
	if (rc != NULL) {
		v.t = agrp_xcalloc(n + 1, sizeof *v.t);
		v.walked_edge = agrp_xcalloc(g->nedges + 1, 1);
		v.rerouted_edge = agrp_xcalloc(g->nedges + 1, 1);
		v.planned_edge = agrp_xcalloc(g->nedges + 1, 1);
		read_run(&v, rc);
	}
	gg = open_graph(agr_graph_name(g)[0] ? agr_graph_name(g) : "graph", &gvc);
	set(gg, "rankdir", "LR");
	set(gg, "id", "graph");
	for (size_t i = 0; i < n; i++)
		draw_node(&v, gg, (int)i);
	for (size_t i = 0; i < g->nedges; i++) {
		const char *from = agr_graph_node_name(g, g->edges[i].from);
		const char *to = agr_graph_node_name(g, g->edges[i].to);
		Agedge_t *e =
		    agedge(gg, agnode(gg, (char *)from, 0), agnode(gg, (char *)to, 0), NULL, 1);
		char id[600], cost[32], classes[100] = "link";

		make_id(id, sizeof id, "edge_", from, to);
		snprintf(cost, sizeof cost, "%g", agr_cost_to_double(g->edges[i].cost));
		set_id(e, id, sizeof id);
		set(e, "label", cost);
		set(e, "color", "#90a4ae");
		set(e, "fontcolor", "#607d8b");
		/* walked solid, a plan not walked dashed (a new one) or dotted (the
		 * first) with an open arrowhead: told apart without colour */
		if (rc != NULL && v.planned_edge[i] && !v.walked_edge[i])
			strcat(classes, " planned");
		if (rc != NULL && v.walked_edge[i] && v.rerouted_edge[i]) {
			strcat(classes, " walked rerouted");
			set(e, "color", REROUTE_INK);
			set(e, "penwidth", "3");
			set(e, "fontcolor", REROUTE_INK);
			use(KEY_WALKED_REPLANNED);
		} else if (rc != NULL && v.walked_edge[i]) {
			strcat(classes, " walked");
			set(e, "color", OK_INK);
			set(e, "penwidth", "3");
			set(e, "fontcolor", OK_INK);
			use(KEY_WALKED);
		} else if (rc != NULL && v.rerouted_edge[i]) {
			strcat(classes, " rerouted");
			set(e, "color", REROUTE_INK);
			set(e, "style", "dashed");
			set(e, "penwidth", "2");
			set(e, "arrowhead", "empty");
			use(KEY_REPLANNED);
		} else if (rc != NULL && v.planned_edge[i]) {
			set(e, "color", PLAN_INK);
			set(e, "style", "dotted");
			set(e, "penwidth", "2");
			set(e, "arrowhead", "empty");
			use(KEY_PLANNED);
		}
		set(e, "class", classes);
	}
	if (rc != NULL)
		snprintf(title, sizeof title, "%s: trace %s, %s, %ld reroute%s", agr_graph_name(g),
		         agr_recording_trace(rc), v.final ? v.final : "unfinished", v.reroutes,
		         v.reroutes == 1 ? "" : "s");
	else
		snprintf(title, sizeof title, "%s", agr_graph_name(g));
	set_title(gg, title);
	free(v.t);
	free(v.walked_edge);
	free(v.rerouted_edge);
	free(v.planned_edge);
	return finish(gvc, gg, o, agr_graph_name(g), out, len, err);
}

/* ---- a trace's cause graph -------------------------------------------- */

/* The agent of the call that record i answers, or NULL. */
static const char *
call_agent(const agr_recording *rc, size_t i, const char *call)
{
	if (call == NULL)
		return NULL;
	while (i-- > 0) {
		const json_t *c = agr_record_json(agr_recording_record(rc, i));
		const char *id = agr_json_str(c, "id");

		if (id != NULL && strcmp(id, call) == 0)
			return agr_json_str(c, "agent");
	}
	return NULL;
}

/* The agent a record belongs to: its own, a message's sender, or the
 * agent of the call a result answers; NULL when none. */
static const char *
record_agent(const agr_recording *rc, size_t i, const json_t *rec, const char *kind)
{
	const char *agent = agr_json_str(rec, "agent");

	if (agent == NULL && kind != NULL && strcmp(kind, "message") == 0)
		agent = agr_json_str(rec, "from");
	if (agent == NULL && kind != NULL && strcmp(kind, "result") == 0)
		agent = call_agent(rc, i, agr_json_str(rec, "call"));
	return agent;
}

/* The box of an agent's records, made on first use. */
static Agraph_t *
agent_cluster(Agraph_t *gg, const char *agent)
{
	char cluster[300];
	Agraph_t *where;

	make_id(cluster, sizeof cluster, "cluster_", agent, NULL);
	if ((where = agsubg(gg, cluster, 0)) != NULL)
		return where;
	where = agsubg(gg, cluster, 1);
	set_text(where, "label", agent);
	set(where, "style", "rounded");
	set(where, "color", "#b0bec5");
	set_id(where, cluster, sizeof cluster);
	return where;
}

/* "4 result Stripe\nerror: timeout", "2 message -> planner". */
static void
record_label(char *label, size_t n, const json_t *rec, long step, const char *kind, bool failed)
{
	const char *tool = agr_json_str(rec, "tool"), *status = agr_json_str(rec, "status");

	snprintf(label, n, "%ld %s%s%s%s%s", step, kind ? kind : "?", tool ? " " : "",
	         tool ? tool : "", status ? "\n" : "", status ? status : "");
	if (failed && agr_json_str(json_object_get(rec, "error"), "class"))
		snprintf(label + strlen(label), n - strlen(label), ": %s",
		         agr_json_str(json_object_get(rec, "error"), "class"));
	if (kind != NULL && strcmp(kind, "message") == 0 && agr_json_str(rec, "to"))
		snprintf(label + strlen(label), n - strlen(label), " -> %s",
		         agr_json_str(rec, "to"));
}

/* The node of record i, at step, in box (its agent's, or the graph):
 * failures red octagons, faults diamonds, escalations and the final in
 * bold. */
static Agnode_t *
lineage_node(Agraph_t *box, const agr_recording *rc, size_t i, long step)
{
	const json_t *rec = agr_record_json(agr_recording_record(rc, i));
	const char *kind = agr_json_str(rec, "kind"), *status = agr_json_str(rec, "status");
	char name[64], label[400], classes[100], id[64];
	bool failed = kind && status && strcmp(kind, "result") == 0 && strcmp(status, "ok") != 0;
	Agnode_t *node;

	snprintf(name, sizeof name, "r%zu", i);
	node = agnode(box, name, 1);
	record_label(label, sizeof label, rec, step, kind, failed);
	snprintf(classes, sizeof classes, "record %s%s", kind ? kind : "unknown",
	         failed ? " failed" : "");
	/* step_N, or rN (its place) for a record without a step */
	if (step >= 0)
		snprintf(id, sizeof id, "step_%ld", step);
	else
		snprintf(id, sizeof id, "%s", name);
	set_id(node, id, sizeof id);
	set_text(node, "label", label);
	set(node, "class", classes);
	set(node, "shape", "box");
	set(node, "style", "rounded,filled");
	set(node, "fillcolor", "#ffffff");
	set(node, "color", INK);
	if (failed) {
		set(node, "shape", "octagon");
		set(node, "style", "filled");
		set(node, "fillcolor", FAIL_FILL);
		set(node, "color", FAIL_INK);
		set(node, "fontcolor", FAIL_INK);
		use(KEY_FAILED_RECORD);
	} else if (kind && strcmp(kind, "fault") == 0) {
		set(node, "shape", "diamond");
		set(node, "style", "filled");
		set(node, "fillcolor", FAULT_FILL);
		set(node, "color", ESCALATE_INK);
		use(KEY_FAULT_RECORD);
	} else if (kind && (strcmp(kind, "escalate") == 0 || strcmp(kind, "final") == 0)) {
		set(node, "penwidth", "2");
	}
	return node;
}

/* A result answers its call: an edge from the nearest earlier call with
 * that id. */
static void
link_answer(Agraph_t *gg, const agr_recording *rc, Agnode_t **nodes, const long *steps, size_t i,
            const json_t *rec)
{
	const char *call = agr_json_str(rec, "call"), *kind = agr_json_str(rec, "kind");

	if (call == NULL || kind == NULL || strcmp(kind, "result") != 0)
		return;
	for (size_t j = i; j-- > 0;) {
		const json_t *c = agr_record_json(agr_recording_record(rc, j));
		const char *id = agr_json_str(c, "id");

		if (id == NULL || strcmp(id, call) != 0)
			continue;
		Agedge_t *e = agedge(gg, nodes[j], nodes[i], (char *)"answers", 1);
		char eid[64];

		snprintf(eid, sizeof eid, "answers_%ld_%ld", steps[j], steps[i]);
		set_id(e, eid, sizeof eid);
		set(e, "class", "answers");
		set(e, "color", ANSWER_INK);
		set(e, "style", "dashed");
		use(KEY_ANSWERS);
		break;
	}
}

/* A record's numeric cause: an edge from the nearest earlier record with
 * that step. */
static void
link_cause(Agraph_t *gg, Agnode_t **nodes, const long *steps, size_t i, const json_t *rec)
{
	const json_t *cause = json_object_get(rec, "cause");

	if (!json_is_integer(cause))
		return;
	for (size_t j = i; j-- > 0;) {
		if (steps[j] != json_integer_value(cause))
			continue;
		Agedge_t *e = agedge(gg, nodes[j], nodes[i], (char *)"cause", 1);
		char id[64];

		snprintf(id, sizeof id, "cause_%ld_%ld", steps[j], steps[i]);
		set_id(e, id, sizeof id);
		set(e, "class", "cause");
		set(e, "color", FAIL_INK);
		set(e, "penwidth", "2");
		set(e, "style", "solid");
		use(KEY_CAUSE);
		break;
	}
}

/* Records on a row of a cause graph, at most. */
#define LINEAGE_ROW_MAX 6

/* Whether record i begins a row: a call or a message begins one, with
 * what follows it in the same box (its result, a fault, a reroute) beside
 * it, so that the trace reads like text, left to right and down, not as a
 * column of one record a line. */
static bool
begins_row(const json_t *rec, bool same_box, int on_row)
{
	const char *kind = agr_json_str(rec, "kind");

	return !same_box || on_row == LINEAGE_ROW_MAX ||
	       (kind != NULL && (strcmp(kind, "call") == 0 || strcmp(kind, "message") == 0));
}

/* An unseen edge that orders the layout. */
static void
invisible_edge(Agraph_t *gg, Agnode_t *from, Agnode_t *to, const char *weight)
{
	Agedge_t *e = agedge(gg, from, to, NULL, 1);

	set(e, "style", "invis");
	set(e, "weight", weight);
}

/* An agent's box that skips rows (another's rows between two of its own)
 * gets an unseen point on each row it skips, held there by the starts of
 * the rows around it.  Else graphviz 2.42 fills those ranks itself, under
 * newrank, and never frees what it fills them with. */
static void
fill_skipped_rows(Agraph_t *gg, Agnode_t **nodes, const size_t *first, Agraph_t *const *box,
                  size_t nrows)
{
	char name[64];

	for (size_t r = 0; r < nrows; r++) {
		size_t p = r;

		if (box[r] == gg)
			continue;
		while (p > 0 && box[p - 1] != box[r])
			p--;
		if (p == 0)
			continue; /* the box's first row */
		for (size_t k = p; k < r; k++) {
			Agnode_t *point;

			snprintf(name, sizeof name, "skip_%zu_%zu", r, k);
			point = agnode(box[r], name, 1);
			set(point, "style", "invis");
			set(point, "shape", "point");
			set(point, "width", "0");
			set(point, "height", "0");
			set(point, "label", "");
			invisible_edge(gg, nodes[first[k - 1]], point, "1");
			invisible_edge(gg, point, nodes[first[k + 1]], "1");
		}
	}
}

bool
agr_render_lineage(const agr_recording *rc, const agr_render_opts *o, char **out, size_t *len,
                   agr_error *err)
{
	GVC_t *gvc;
	Agraph_t *gg = open_graph(agr_recording_trace(rc), &gvc), *box = NULL, *row = NULL;
	size_t nrec = agr_recording_size(rc), nrows = 0;
	Agnode_t **nodes = agrp_xcalloc(nrec + 1, sizeof *nodes);
	long *steps = agrp_xcalloc(nrec + 1, sizeof *steps);
	/* per record, its row; per row, its first record and its box */
	size_t *row_of = agrp_xcalloc(nrec + 1, sizeof *row_of);
	size_t *row_first = agrp_xcalloc(nrec + 1, sizeof *row_first);
	Agraph_t **row_box = agrp_xcalloc(nrec + 1, sizeof *row_box);
	char title[600], row_name[64];
	int on_row = 0;

	set(gg, "id", "lineage");
	set(gg, "rankdir", "TB");
	/* ranks over the whole graph: else dot ranks each agent's box apart
	 * and an arrow between boxes no longer orders the records it joins */
	set(gg, "newrank", "true");
	for (size_t i = 0; i < nrec; i++) {
		const json_t *rec = agr_record_json(agr_recording_record(rc, i));
		const char *agent = record_agent(rc, i, rec, agr_json_str(rec, "kind"));
		Agraph_t *was = box;
		const json_t *step = json_object_get(rec, "step");

		box = agent != NULL ? agent_cluster(gg, agent) : gg;
		if (begins_row(rec, box == was, on_row)) {
			snprintf(row_name, sizeof row_name, "row_%zu", nrows);
			row = agsubg(box, row_name, 1);
			set(row, "rank", "same");
			row_first[nrows] = i;
			row_box[nrows++] = box;
			on_row = 0;
		}
		row_of[i] = nrows - 1;
		steps[i] = json_is_integer(step) ? (long)json_integer_value(step) : -1;
		nodes[i] = lineage_node(box, rc, i, steps[i]);
		agsubnode(row, nodes[i], 1);
		on_row++;
	}
	for (size_t i = 0; i < nrec; i++) {
		const json_t *rec = agr_record_json(agr_recording_record(rc, i));
		size_t r = row_of[i];

		/* In step order, unseen: the reading order of the trace, along a
		 * row, and from the start of a row to the start of the next, so
		 * that rows begin under each other. */
		if (i > 0)
			invisible_edge(gg, nodes[row_first[r] == i ? row_first[r - 1] : i - 1],
			               nodes[i], "2");
		link_answer(gg, rc, nodes, steps, i, rec);
		link_cause(gg, nodes, steps, i, rec);
	}
	fill_skipped_rows(gg, nodes, row_first, row_box, nrows);
	snprintf(title, sizeof title, "trace %s: causes", agr_recording_trace(rc));
	set_title(gg, title);
	free(nodes);
	free(steps);
	free(row_of);
	free(row_first);
	free(row_box);
	return finish(gvc, gg, o, agr_recording_trace(rc), out, len, err);
}
