/* compose.c - a graph file's YAML as a stream of libyaml's events. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "graph/compose_int.h"

/*
 * Everything is composed into one document as libyaml's loader would, but
 * for the entries of the top-level nodes: mapping and the items of the
 * top-level edges: list, each composed alone, handed over and freed (kept
 * only when it holds an anchor, for an alias further on).  A mistake of
 * the YAML (syntax, nesting, an alias, a second document) is reported
 * before any the hooks find, as the whole-document reading would: after
 * the first mistake the file is read on to its end, at most to
 * AGR_MAX_FILE bytes, the most the whole-document reading read.
 */
typedef struct input {
	FILE *f; /* or text[len] */
	const unsigned char *text;
	size_t len, off;
	size_t total; /* bytes read */
	int error;    /* errno of a read that failed, or 0 */
} input;

/* Where the reading is: before, in and after the first document, in and
 * after a second. */
enum { D_BEFORE, D_FIRST, D_AFTER, D_SECOND, D_REST };

typedef struct composer {
	agrp_yaml *y; /* the document built */
	const agrp_compose_hooks *hooks;
	agrp_composed *out;
	bool mistaken; /* a hook found a mistake */
	bool final;    /* err holds a mistake of the YAML itself */
	bool scan;     /* trees no longer needed: only the YAML is checked */
	int state;     /* D_* */
	size_t depth;  /* lists and mappings open */
	struct frame {
		int id;     /* node in the document */
		int key;    /* a mapping's key waiting for its value, or 0 */
		int stream; /* items handled one at a time: an agrp_stream + 1; or 0 */
	} * frames;
	size_t nframes, capframes;
	struct anchor {
		char *name;
		int id; /* 0 once only the YAML is checked */
	} * anchors;
	size_t nanchors, capanchors;
	bool in_item;       /* composing an item of a streamed collection */
	bool item_anchored; /* ... which holds an anchor: it is kept */
	size_t item_nodes;  /* the document's nodes before the item */
	size_t item_tags;   /* and its !!str marks */
	size_t tags_cap;    /* of y->str_tagged */
	yaml_mark_t second; /* where a second document starts */
	size_t held;        /* bytes the document holds, about */
} composer;

static int
read_input(void *data, unsigned char *buf, size_t size, size_t *got)
{
	input *in = data;

	if (in->f == NULL) {
		*got = in->len - in->off < size ? in->len - in->off : size;
		memcpy(buf, in->text + in->off, *got);
		in->off += *got;
	} else {
		*got = fread(buf, 1, size, in->f);
		if (*got == 0 && ferror(in->f)) {
			in->error = errno ? errno : EIO;
			return 0;
		}
	}
	in->total += *got;
	return 1;
}

/* A mistake of the YAML itself, worded as libyaml's loader words it. */
static void
yaml_mistake(composer *C, yaml_mark_t at, const char *problem, const char *context)
{
	agrp_error_set(C->y->err, C->y->source, (long)at.line + 1, (long)at.column + 1, "%s%s%s",
	               problem, context ? " " : "", context ? context : "");
	C->final = true;
	C->scan = true;
}

static size_t
node_bytes(const yaml_node_t *n)
{
	return sizeof *n + 2 * sizeof(yaml_node_pair_t) +
	       (n->type == YAML_SCALAR_NODE ? n->data.scalar.length : 0);
}

static int
add_node(composer *C, const yaml_node_t *n)
{
	yaml_document_t *d = &C->y->doc;

	if (d->nodes.top == d->nodes.end) {
		size_t len = (size_t)(d->nodes.end - d->nodes.start);
		yaml_node_t *p = agrp_xrealloc(d->nodes.start, 2 * len * sizeof *p);

		d->nodes.start = p;
		d->nodes.top = p + len;
		d->nodes.end = p + 2 * len;
	}
	*d->nodes.top++ = *n;
	C->held += node_bytes(n);
	return (int)(d->nodes.top - d->nodes.start);
}

/* Pushes x on a libyaml stack {start, end, top} of T. */
#define STACK_PUSH(s, x)                                                                           \
	do {                                                                                       \
		if ((s).top == (s).end) {                                                          \
			size_t len_ = (size_t)((s).end - (s).start);                               \
			size_t cap_ = len_ ? 2 * len_ : 4;                                         \
			(s).start = agrp_xrealloc((s).start, cap_ * sizeof *(s).start);            \
			(s).top = (s).start + len_;                                                \
			(s).end = (s).start + cap_;                                                \
		}                                                                                  \
		*(s).top++ = (x);                                                                  \
	} while (0)

static void
drop_node(yaml_node_t *n)
{
	free(n->tag);
	if (n->type == YAML_SCALAR_NODE)
		free(n->data.scalar.value);
	else if (n->type == YAML_SEQUENCE_NODE)
		free(n->data.sequence.items.start);
	else if (n->type == YAML_MAPPING_NODE)
		free(n->data.mapping.pairs.start);
}

/* The anchor's name taken from the event; false on a second one of that
 * name, which libyaml's loader refuses. */
static bool
add_anchor(composer *C, yaml_char_t *name, int id, yaml_mark_t at)
{
	if (name == NULL)
		return true;
	for (size_t i = 0; i < C->nanchors; i++)
		if (strcmp(C->anchors[i].name, (char *)name) == 0) {
			free(name);
			yaml_mistake(C, at, "second occurrence",
			             "found duplicate anchor; first occurrence");
			return false;
		}
	agrp_grow(&C->anchors, &C->capanchors, C->nanchors + 1, sizeof *C->anchors);
	C->anchors[C->nanchors].name = (char *)name;
	C->anchors[C->nanchors++].id = id;
	if (C->in_item)
		C->item_anchored = true;
	return true;
}

static void
forget_anchors(composer *C)
{
	for (size_t i = 0; i < C->nanchors; i++)
		free(C->anchors[i].name);
	C->nanchors = 0;
}

/* Before a node of an item of a streamed collection: where it starts. */
static void
begin_node(composer *C)
{
	if (C->nframes > 0 && C->frames[C->nframes - 1].stream != 0 && !C->in_item) {
		C->in_item = true;
		C->item_anchored = false;
		C->item_nodes = (size_t)(C->y->doc.nodes.top - C->y->doc.nodes.start);
		C->item_tags = C->y->nstr_tagged;
	}
}

/* Whether an event's node is to be built: not past the first mistake,
 * nor while only anchors are looked for (its anchor noted then).  When
 * it is, the node begins. */
static bool
node_wanted(composer *C, yaml_char_t *anchor, yaml_mark_t at)
{
	if (C->final) {
		free(anchor);
		return false;
	}
	if (C->scan) {
		add_anchor(C, anchor, 0, at);
		return false;
	}
	begin_node(C);
	return true;
}

/* An item done with: its nodes freed, unless an alias may name them. */
static void
end_item(composer *C)
{
	yaml_document_t *d = &C->y->doc;

	if (!C->item_anchored) {
		while ((size_t)(d->nodes.top - d->nodes.start) > C->item_nodes) {
			C->held -= node_bytes(--d->nodes.top);
			drop_node(d->nodes.top);
		}
		C->y->nstr_tagged = C->item_tags;
	}
	C->in_item = false;
}

/* Node id is complete: into its parent, or handed over as an item. */
static void
child(composer *C, int id)
{
	struct frame *t;
	yaml_node_t *p, *key = NULL;

	if (C->nframes == 0)
		return; /* the root */
	t = &C->frames[C->nframes - 1];
	if (t->stream != 0) {
		agrp_stream stream = (agrp_stream)(t->stream - 1);

		if (stream == AGRP_STREAM_NODES) {
			if (t->key == 0) {
				t->key = id;
				return;
			}
			key = agrp_yaml_node(C->y, t->key);
			t->key = 0;
		}
		if (!C->hooks->item(C->hooks->ctx, stream, key, agrp_yaml_node(C->y, id)))
			C->mistaken = true;
		end_item(C);
		return;
	}
	p = agrp_yaml_node(C->y, t->id);
	if (p->type == YAML_SEQUENCE_NODE) {
		STACK_PUSH(p->data.sequence.items, id);
	} else if (t->key == 0) {
		t->key = id;
		if (C->nframes == 1 &&
		    !C->hooks->root_key(C->hooks->ctx, agrp_yaml_node(C->y, id))) {
			C->mistaken = true;
			C->scan = true;
		}
	} else {
		yaml_node_pair_t pair = { t->key, id };

		STACK_PUSH(p->data.mapping.pairs, pair);
		t->key = 0;
	}
}

/* An agrp_stream + 1 when the collection starting is the value of the
 * top level's nodes: or edges:, to be read item by item; else 0.  One
 * with an anchor is kept whole, for an alias to it. */
static int
stream_kind(composer *C, const yaml_event_t *ev, const yaml_char_t *anchor)
{
	static const struct {
		const char *key;
		yaml_event_type_t starts;
	} streams[AGRP_STREAM_N] = {
		[AGRP_STREAM_NODES] = { "nodes", YAML_MAPPING_START_EVENT },
		[AGRP_STREAM_EDGES] = { "edges", YAML_SEQUENCE_START_EVENT },
	};
	const struct frame *t;
	const yaml_node_t *k;

	if (C->nframes != 1 || C->state != D_FIRST || anchor != NULL)
		return 0;
	t = &C->frames[0];
	if (t->key == 0 || agrp_yaml_node(C->y, t->id)->type != YAML_MAPPING_NODE)
		return 0;
	k = agrp_yaml_node(C->y, t->key);
	if (k->type != YAML_SCALAR_NODE)
		return 0;
	for (int s = 0; s < AGRP_STREAM_N; s++)
		if (ev->type == streams[s].starts && !C->out->streamed[s] &&
		    strcmp(agrp_yaml_scalar(k), streams[s].key) == 0) {
			C->out->streamed[s] = true;
			return s + 1;
		}
	return 0;
}

/* One event; false when the reading stops. */
static bool
on_event(composer *C, yaml_event_t *ev)
{
	yaml_node_t n;
	yaml_char_t *anchor;
	int id, i;

	memset(&n, 0, sizeof n);
	n.start_mark = ev->start_mark;
	n.end_mark = ev->end_mark;
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return false;
	case YAML_DOCUMENT_START_EVENT:
		if (C->state == D_BEFORE) {
			C->state = D_FIRST;
		} else if (C->state == D_AFTER) {
			C->state = D_SECOND;
			C->second = ev->start_mark;
			C->scan = true;
			forget_anchors(C);
		}
		return true;
	case YAML_DOCUMENT_END_EVENT:
		if (C->state == D_FIRST) {
			C->state = D_AFTER;
		} else if (C->state == D_SECOND) {
			C->state = D_REST;
			if (!C->final)
				yaml_mistake(C, C->second,
				             "a second YAML document: a file holds one", NULL);
		}
		return true;
	case YAML_ALIAS_EVENT:
		if (C->final)
			return true;
		for (i = 0; i < (int)C->nanchors; i++)
			if (strcmp(C->anchors[i].name, (char *)ev->data.alias.anchor) == 0)
				break;
		if (i == (int)C->nanchors) {
			yaml_mistake(C, ev->start_mark, "found undefined alias", NULL);
			return true;
		}
		if (!C->scan) {
			begin_node(C);
			child(C, C->anchors[i].id);
		}
		return true;
	case YAML_SCALAR_EVENT: {
		char *tag = (char *)ev->data.scalar.tag;

		anchor = ev->data.scalar.anchor;
		ev->data.scalar.anchor = NULL;
		if (!node_wanted(C, anchor, ev->start_mark))
			return true;
		if (tag != NULL && (strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, "!") == 0)) {
			agrp_grow(&C->y->str_tagged, &C->tags_cap, C->y->nstr_tagged + 1,
			          sizeof *C->y->str_tagged);
			C->y->str_tagged[C->y->nstr_tagged++] = ev->start_mark.index;
		}
		if (tag == NULL || strcmp(tag, "!") == 0) {
			free(tag);
			tag = agrp_xstrdup(YAML_DEFAULT_SCALAR_TAG);
		}
		n.type = YAML_SCALAR_NODE;
		n.tag = (yaml_char_t *)tag;
		n.data.scalar.value = ev->data.scalar.value;
		n.data.scalar.length = ev->data.scalar.length;
		n.data.scalar.style = ev->data.scalar.style;
		ev->data.scalar.tag = NULL;
		ev->data.scalar.value = NULL;
		id = add_node(C, &n);
		if (add_anchor(C, anchor, id, ev->start_mark))
			child(C, id);
		return true;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		char *tag =
		    (char *)(seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
		int kind;

		if (++C->depth > AGRP_YAML_MAX_DEPTH) {
			agrp_error_set(C->y->err, C->y->source, (long)ev->start_mark.line + 1,
			               (long)ev->start_mark.column + 1,
			               "more than %d lists and mappings within one another",
			               AGRP_YAML_MAX_DEPTH);
			C->final = true;
			return false;
		}
		anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
		if (seq)
			ev->data.sequence_start.anchor = NULL;
		else
			ev->data.mapping_start.anchor = NULL;
		if (!node_wanted(C, anchor, ev->start_mark))
			return true;
		if (tag == NULL || strcmp(tag, "!") == 0) {
			free(tag);
			tag = agrp_xstrdup(seq ? YAML_DEFAULT_SEQUENCE_TAG
			                       : YAML_DEFAULT_MAPPING_TAG);
		}
		if (seq) {
			ev->data.sequence_start.tag = NULL;
			n.type = YAML_SEQUENCE_NODE;
			n.data.sequence.style = ev->data.sequence_start.style;
		} else {
			ev->data.mapping_start.tag = NULL;
			n.type = YAML_MAPPING_NODE;
			n.data.mapping.style = ev->data.mapping_start.style;
		}
		n.tag = (yaml_char_t *)tag;
		id = add_node(C, &n);
		if (!add_anchor(C, anchor, id, ev->start_mark))
			return true;
		kind = stream_kind(C, ev, anchor);
		agrp_grow(&C->frames, &C->capframes, C->nframes + 1, sizeof *C->frames);
		C->frames[C->nframes].id = id;
		C->frames[C->nframes].key = 0;
		C->frames[C->nframes++].stream = kind;
		return true;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		C->depth--;
		if (C->scan)
			return true;
		id = C->frames[--C->nframes].id;
		agrp_yaml_node(C->y, id)->end_mark = ev->end_mark;
		child(C, id);
		return true;
	default:
		return true;
	}
}

bool
agrp_compose(agrp_yaml *y, FILE *f, const char *text, size_t len, const agrp_compose_hooks *hooks,
             agrp_composed *out)
{
	composer C = { 0 };
	input in = { 0 };
	yaml_parser_t parser;
	yaml_event_t ev;

	memset(out, 0, sizeof *out);
	C.y = y;
	C.hooks = hooks;
	C.out = out;
	in.f = f;
	in.text = (const unsigned char *)text;
	in.len = len;
	if (!yaml_parser_initialize(&parser)) {
		agrp_error_set(y->err, y->source, 0, 0, "cannot start the YAML parser");
		return false;
	}
	if (!yaml_document_initialize(&y->doc, NULL, NULL, NULL, 1, 1)) {
		yaml_parser_delete(&parser);
		agrp_error_set(y->err, y->source, 0, 0, "cannot start the YAML parser");
		return false;
	}
	y->loaded = true;
	yaml_parser_set_input(&parser, read_input, &in);
	for (;;) {
		bool more;
		size_t ev_line;

		if ((C.mistaken || C.final) && in.total > AGR_MAX_FILE)
			break;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (in.error != 0) {
				agrp_error_set(y->err, y->source, 0, 0, "%s", strerror(in.error));
				C.final = true;
			} else if (!C.final) {
				yaml_mistake(&C, parser.problem_mark,
				             parser.problem ? parser.problem : "invalid YAML",
				             parser.context);
			}
			break;
		}
		ev_line = ev.end_mark.line;
		more = on_event(&C, &ev);
		yaml_event_delete(&ev);
		if (!more)
			break;
		/* what is kept as a document is held to what a file read whole
		 * may hold: a file that never ends is refused, not read forever */
		if (C.held > AGR_MAX_FILE) {
			agrp_error_set(y->err, y->source, (long)ev_line + 1, 0,
			               "the graph holds more than %zu MiB besides the entries of "
			               "nodes: and the items of edges:, the most it may",
			               AGR_MAX_FILE >> 20);
			C.final = true;
			break;
		}
	}
	yaml_parser_delete(&parser);
	out->begun = C.state != D_BEFORE;
	forget_anchors(&C);
	free(C.anchors);
	free(C.frames);
	return !C.final;
}
