/*
 * render.c - the tool graph and a run over it, drawn by graphviz in
 * process (libgvc): no `dot` is run.  A trace's cause graph is
 * lineage.c; what both pictures share, draw.c.
 *
 * Every node and edge gets an id and classes that say what it is and
 * what the run did there, so that SVG can be styled and tested; the
 * colours and line styles carry the same at a glance.
 */
#include <gvc.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

static const char *
or_empty(const char *s)
{
	return s ? s : "";
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

/* The name, and under it in smaller type what the run did there. */
static void
set_label(Agraph_t *gg, Agnode_t *n, const char *name, const char *detail, const char *ink)
{
	agrp_buf b = { 0 };
	char *h;

	agrp_buf_str(&b, "<");
	agrp_draw_html(&b, name);
	if (detail[0] != '\0') {
		agrp_buf_str(&b, "<BR/><FONT POINT-SIZE=\"9\" COLOR=\"");
		agrp_buf_str(&b, ink);
		agrp_buf_str(&b, "\">");
		agrp_draw_html(&b, detail);
		agrp_buf_str(&b, "</FONT>");
	}
	agrp_buf_str(&b, ">");
	/* the text between the outer < > is the label; graphviz marks it HTML */
	b.p[b.n - 1] = '\0';
	h = agstrdup_html(gg, b.p + 1);
	agrp_draw_set(n, "label", h);
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
	agrp_draw_make_id(id, sizeof id, "node_", name, NULL);
	agrp_draw_set_id(n, id, sizeof id);
	agrp_draw_set(n, "shape", "box");
	agrp_draw_set(n, "fillcolor", "#ffffff");
	agrp_draw_set(n, "color", INK);
	if (node == agr_graph_start(g)) {
		strcat(classes, " start");
		rounded = false;
		agrp_draw_set(n, "fillcolor", "#eeeeee");
		agrp_draw_set(n, "penwidth", "2");
	}
	if (node == agr_graph_goal(g)) {
		strcat(classes, " goal");
		agrp_draw_set(n, "peripheries", "2");
		agrp_draw_set(n, "penwidth", "1.5");
	}
	if (fallback) {
		strcat(classes, " fallback");
		agrp_draw_set(n, "peripheries", "2");
		dashed = true;
		agrp_draw_use(AGRP_KEY_FALLBACK);
	}
	if (t != NULL) {
		size_t len;

		if (t->completed) {
			strcat(classes, " completed");
			agrp_draw_set(n, "fillcolor", OK_FILL);
			agrp_draw_set(n, "color", OK_INK);
			agrp_draw_use(AGRP_KEY_COMPLETED);
		}
		if (t->failed) {
			/* a stop sign: a failure is told by its shape, not only red */
			strcat(classes, " failed");
			agrp_draw_set(n, "shape", "octagon");
			rounded = false;
			agrp_draw_set(n, "fillcolor", FAIL_FILL);
			agrp_draw_set(n, "color", FAIL_INK);
			agrp_draw_set(n, "fontcolor", FAIL_INK);
			agrp_draw_set(n, "penwidth", "2");
			ink = FAIL_INK;
			agrp_draw_use(AGRP_KEY_FAILED);
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
				agrp_draw_set(n, "fillcolor", DOWN_FILL);
			strncat(detail, "down\n", sizeof detail - strlen(detail) - 1);
			agrp_draw_use(AGRP_KEY_DOWN);
		}
		if (t->fault) {
			strcat(classes, " faulted");
			if (!t->failed && !t->completed) {
				agrp_draw_set(n, "fillcolor", FAULT_FILL);
				agrp_draw_use(AGRP_KEY_FAULTED);
			}
		}
		if (t->reroute_point)
			strcat(classes, " reroute_point");
		if (t->demoted_goal) {
			strcat(classes, " demoted_goal");
			agrp_draw_set(n, "peripheries", "2");
			agrp_draw_set(n, "color", REROUTE_INK);
			agrp_draw_use(AGRP_KEY_DEMOTED);
		}
		if (t->escalated) {
			strcat(classes, " escalated");
			agrp_draw_set(n, "color", ESCALATE_INK);
			agrp_draw_set(n, "penwidth", "3");
			agrp_draw_use(AGRP_KEY_ESCALATED);
		}
		/* in the label: an xlabel may land by another node */
		strncat(detail, t->notes, sizeof detail - strlen(detail) - 1);
		len = strlen(detail);
		if (len > 0 && detail[len - 1] == '\n')
			detail[len - 1] = '\0';
		if (!t->called && !t->completed && node != agr_graph_start(g)) {
			strcat(classes, " idle");
			if (!t->down && !t->fault)
				agrp_draw_use(AGRP_KEY_IDLE);
		}
	}
	snprintf(style, sizeof style, "%sfilled%s", rounded ? "rounded," : "",
	         dashed ? ",dashed" : "");
	agrp_draw_set(n, "style", style);
	set_label(gg, n, name, detail, ink);
	agrp_draw_set(n, "class", classes);
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
	gg = agrp_draw_open(agr_graph_name(g)[0] ? agr_graph_name(g) : "graph", &gvc);
	agrp_draw_set(gg, "rankdir", "LR");
	agrp_draw_set(gg, "id", "graph");
	for (size_t i = 0; i < n; i++)
		draw_node(&v, gg, (int)i);
	for (size_t i = 0; i < g->nedges; i++) {
		const char *from = agr_graph_node_name(g, g->edges[i].from);
		const char *to = agr_graph_node_name(g, g->edges[i].to);
		Agedge_t *e =
		    agedge(gg, agnode(gg, (char *)from, 0), agnode(gg, (char *)to, 0), NULL, 1);
		char id[600], cost[32], classes[100] = "link";

		agrp_draw_make_id(id, sizeof id, "edge_", from, to);
		snprintf(cost, sizeof cost, "%g", agr_cost_to_double(g->edges[i].cost));
		agrp_draw_set_id(e, id, sizeof id);
		agrp_draw_set(e, "label", cost);
		agrp_draw_set(e, "color", "#90a4ae");
		agrp_draw_set(e, "fontcolor", "#607d8b");
		/* walked solid, a plan not walked dashed (a new one) or dotted (the
		 * first) with an open arrowhead: told apart without colour */
		if (rc != NULL && v.planned_edge[i] && !v.walked_edge[i])
			strcat(classes, " planned");
		if (rc != NULL && v.walked_edge[i] && v.rerouted_edge[i]) {
			strcat(classes, " walked rerouted");
			agrp_draw_set(e, "color", REROUTE_INK);
			agrp_draw_set(e, "penwidth", "3");
			agrp_draw_set(e, "fontcolor", REROUTE_INK);
			agrp_draw_use(AGRP_KEY_WALKED_REPLANNED);
		} else if (rc != NULL && v.walked_edge[i]) {
			strcat(classes, " walked");
			agrp_draw_set(e, "color", OK_INK);
			agrp_draw_set(e, "penwidth", "3");
			agrp_draw_set(e, "fontcolor", OK_INK);
			agrp_draw_use(AGRP_KEY_WALKED);
		} else if (rc != NULL && v.rerouted_edge[i]) {
			strcat(classes, " rerouted");
			agrp_draw_set(e, "color", REROUTE_INK);
			agrp_draw_set(e, "style", "dashed");
			agrp_draw_set(e, "penwidth", "2");
			agrp_draw_set(e, "arrowhead", "empty");
			agrp_draw_use(AGRP_KEY_REPLANNED);
		} else if (rc != NULL && v.planned_edge[i]) {
			agrp_draw_set(e, "color", PLAN_INK);
			agrp_draw_set(e, "style", "dotted");
			agrp_draw_set(e, "penwidth", "2");
			agrp_draw_set(e, "arrowhead", "empty");
			agrp_draw_use(AGRP_KEY_PLANNED);
		}
		agrp_draw_set(e, "class", classes);
	}
	if (rc != NULL)
		snprintf(title, sizeof title, "%s: trace %s, %s, %ld reroute%s", agr_graph_name(g),
		         agr_recording_trace(rc), v.final ? v.final : "unfinished", v.reroutes,
		         v.reroutes == 1 ? "" : "s");
	else
		snprintf(title, sizeof title, "%s", agr_graph_name(g));
	agrp_draw_title(gg, title);
	free(v.t);
	free(v.walked_edge);
	free(v.rerouted_edge);
	free(v.planned_edge);
	return agrp_draw_finish(gvc, gg, o, agr_graph_name(g), out, len, err);
}
