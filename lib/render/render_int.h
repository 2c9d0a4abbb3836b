/*
 * render_int.h - what the two pictures share (draw.c): a graphviz graph
 * opened and laid out, ids and labels made safe for it, the colours and
 * the legend of the looks a drawing used.  render.c draws the tool graph
 * and a run over it, lineage.c a trace's cause graph; both call draw.c
 * and it calls neither.
 * Internal names start with agrp_.
 */
#ifndef AGRP_RENDER_INT_H
#define AGRP_RENDER_INT_H

#include <gvc.h>

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

/* Each look the drawing can give a node or an edge, and what it means.
 * Each differs from the others by more than colour or stroke width (a
 * line style, a shape, a fill, words), for readers who do not tell the
 * colours apart and for greyscale print. */
typedef enum agrp_legend_key {
	AGRP_KEY_WALKED,
	AGRP_KEY_WALKED_REPLANNED,
	AGRP_KEY_REPLANNED,
	AGRP_KEY_PLANNED,
	AGRP_KEY_COMPLETED,
	AGRP_KEY_FAILED,
	AGRP_KEY_IDLE,
	AGRP_KEY_DOWN,
	AGRP_KEY_FAULTED,
	AGRP_KEY_ESCALATED,
	AGRP_KEY_FALLBACK,
	AGRP_KEY_DEMOTED,
	AGRP_KEY_CAUSE,
	AGRP_KEY_ANSWERS,
	AGRP_KEY_FAILED_RECORD,
	AGRP_KEY_FAULT_RECORD,
	AGRP_KEY_COUNT
} agrp_legend_key;

/* A new graph called name, and the context that lays it out; what the
 * drawing before left (ids given, looks used, graphviz's errors) is
 * forgotten. */
Agraph_t *agrp_draw_open(const char *name, GVC_t **gvc);
/* Lays gg out and writes it (o's layout and format) into *out, *len (the
 * caller frees *out); false with *err (at source) when graphviz cannot.
 * gg and gvc are freed either way. */
bool agrp_draw_finish(GVC_t *gvc, Agraph_t *gg, const agr_render_opts *o, const char *source,
                      char **out, size_t *len, agr_error *err);

/* Sets the attribute key of obj (a graph, node or edge) to value. */
void agrp_draw_set(void *obj, const char *key, const char *value);
/* An id for SVG from prefix, a and b (NULL: none): see draw.c. */
void agrp_draw_make_id(char *out, size_t cap, const char *prefix, const char *a, const char *b);
/* Gives obj the id (in a buffer of cap), made unique in this drawing. */
void agrp_draw_set_id(void *obj, char *id, size_t cap);
/* A plain label (or other text attribute) that graphviz draws as itself. */
void agrp_draw_set_text(void *obj, const char *key, const char *text);
/* Appends text to out, escaped for a graphviz HTML label. */
void agrp_draw_html(agrp_buf *out, const char *text);

/* The drawing uses the look key: the legend shows it. */
void agrp_draw_use(agrp_legend_key key);
/* The graph's label: the title, and the legend of the looks used. */
void agrp_draw_title(Agraph_t *gg, const char *title);

#endif
