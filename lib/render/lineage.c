/*
 * lineage.c - a trace's cause graph: its records, in a box per agent,
 * linked by their causes and a result to its call, drawn by graphviz as
 * render.c draws the tool graph, with the ids and classes of draw.c.
 */
#include <gvc.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

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

	agrp_draw_make_id(cluster, sizeof cluster, "cluster_", agent, NULL);
	if ((where = agsubg(gg, cluster, 0)) != NULL)
		return where;
	where = agsubg(gg, cluster, 1);
	agrp_draw_set_text(where, "label", agent);
	agrp_draw_set(where, "style", "rounded");
	agrp_draw_set(where, "color", "#b0bec5");
	agrp_draw_set_id(where, cluster, sizeof cluster);
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
	agrp_draw_set_id(node, id, sizeof id);
	agrp_draw_set_text(node, "label", label);
	agrp_draw_set(node, "class", classes);
	agrp_draw_set(node, "shape", "box");
	agrp_draw_set(node, "style", "rounded,filled");
	agrp_draw_set(node, "fillcolor", "#ffffff");
	agrp_draw_set(node, "color", INK);
	if (failed) {
		agrp_draw_set(node, "shape", "octagon");
		agrp_draw_set(node, "style", "filled");
		agrp_draw_set(node, "fillcolor", FAIL_FILL);
		agrp_draw_set(node, "color", FAIL_INK);
		agrp_draw_set(node, "fontcolor", FAIL_INK);
		agrp_draw_use(AGRP_KEY_FAILED_RECORD);
	} else if (kind && strcmp(kind, "fault") == 0) {
		agrp_draw_set(node, "shape", "diamond");
		agrp_draw_set(node, "style", "filled");
		agrp_draw_set(node, "fillcolor", FAULT_FILL);
		agrp_draw_set(node, "color", ESCALATE_INK);
		agrp_draw_use(AGRP_KEY_FAULT_RECORD);
	} else if (kind && (strcmp(kind, "escalate") == 0 || strcmp(kind, "final") == 0)) {
		agrp_draw_set(node, "penwidth", "2");
	}
	return node;
}

/* An edge from record j to record i: a result to its call (the look
 * AGRP_KEY_ANSWERS), else a cause (AGRP_KEY_CAUSE), named, classed and
 * id'd "answers" or "cause". */
static void
draw_link(Agraph_t *gg, Agnode_t **nodes, const long *steps, size_t j, size_t i,
          agrp_legend_key key)
{
	bool answers = key == AGRP_KEY_ANSWERS;
	const char *what = answers ? "answers" : "cause";
	Agedge_t *e = agedge(gg, nodes[j], nodes[i], (char *)what, 1);
	char id[64];

	snprintf(id, sizeof id, "%s_%ld_%ld", what, steps[j], steps[i]);
	agrp_draw_set_id(e, id, sizeof id);
	agrp_draw_set(e, "class", what);
	agrp_draw_set(e, "color", answers ? ANSWER_INK : FAIL_INK);
	if (!answers)
		agrp_draw_set(e, "penwidth", "2");
	agrp_draw_set(e, "style", answers ? "dashed" : "solid");
	agrp_draw_use(key);
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
		draw_link(gg, nodes, steps, j, i, AGRP_KEY_ANSWERS);
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
		draw_link(gg, nodes, steps, j, i, AGRP_KEY_CAUSE);
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

	agrp_draw_set(e, "style", "invis");
	agrp_draw_set(e, "weight", weight);
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
			agrp_draw_set(point, "style", "invis");
			agrp_draw_set(point, "shape", "point");
			agrp_draw_set(point, "width", "0");
			agrp_draw_set(point, "height", "0");
			agrp_draw_set(point, "label", "");
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
	Agraph_t *gg = agrp_draw_open(agr_recording_trace(rc), &gvc), *box = NULL, *row = NULL;
	size_t nrec = agr_recording_size(rc), nrows = 0;
	Agnode_t **nodes = agrp_xcalloc(nrec + 1, sizeof *nodes);
	long *steps = agrp_xcalloc(nrec + 1, sizeof *steps);
	/* per record, its row; per row, its first record and its box */
	size_t *row_of = agrp_xcalloc(nrec + 1, sizeof *row_of);
	size_t *row_first = agrp_xcalloc(nrec + 1, sizeof *row_first);
	Agraph_t **row_box = agrp_xcalloc(nrec + 1, sizeof *row_box);
	char title[600], row_name[64];
	int on_row = 0;

	agrp_draw_set(gg, "id", "lineage");
	agrp_draw_set(gg, "rankdir", "TB");
	/* ranks over the whole graph: else dot ranks each agent's box apart
	 * and an arrow between boxes no longer orders the records it joins */
	agrp_draw_set(gg, "newrank", "true");
	for (size_t i = 0; i < nrec; i++) {
		const json_t *rec = agr_record_json(agr_recording_record(rc, i));
		const char *agent = record_agent(rc, i, rec, agr_json_str(rec, "kind"));
		Agraph_t *was = box;
		const json_t *step = json_object_get(rec, "step");

		box = agent != NULL ? agent_cluster(gg, agent) : gg;
		if (begins_row(rec, box == was, on_row)) {
			snprintf(row_name, sizeof row_name, "row_%zu", nrows);
			row = agsubg(box, row_name, 1);
			agrp_draw_set(row, "rank", "same");
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
	agrp_draw_title(gg, title);
	free(nodes);
	free(steps);
	free(row_of);
	free(row_first);
	free(row_box);
	return agrp_draw_finish(gvc, gg, o, agr_recording_trace(rc), out, len, err);
}
