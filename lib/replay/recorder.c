/*
 * recorder.c - a stream of interleaved traces split into recordings,
 * one per trace id, each handed over when its trace is over.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay_int.h"

/* As the checker's: agraph-replay(1) and agraph-trace(1) name both. */
#define AGRP_HELD 4096
#define AGRP_GONE 262144

/* ---- many traces in one stream --------------------------------------- */

/*
 * One trace id is one trace, as for the checker: a trace that has ended is
 * held, for the records that may follow its final, until the input ends
 * or AGRP_HELD traces have ended after it; then it is handed over, and
 * only a fingerprint of its id is kept (the last AGRP_GONE of them), so
 * that a record of it that comes later still is an error, not a new trace.
 */
typedef struct open_rec {
	agr_recording *rc;
	struct open_rec *prev, *next;
	bool ended; /* on the list of the ended */
} open_rec;

struct agr_recorder {
	const agr_graph *g;
	agr_recording_fn fn;
	void *ctx;
	agrp_map open;            /* trace id -> open_rec */
	open_rec *first, *last;   /* open, in the order they began */
	open_rec *efirst, *elast; /* ended and held, in the order they ended */
	size_t nended;
	agrp_gone *gone; /* handed over: a ring of fingerprints */
	size_t gone_cap, gone_next;
	agrp_u64map gone_index;        /* fingerprint -> slot + 1 */
	const agr_replay_opts *replay; /* each replayed as read, or NULL */
	bool check;
};

agr_recorder *
agr_recorder_new(const agr_graph *g, agr_recording_fn fn, void *ctx)
{
	agr_recorder *rd = agrp_xcalloc(1, sizeof *rd);

	rd->g = g;
	rd->fn = fn;
	rd->ctx = ctx;
	return rd;
}

static void
unlink_open(agr_recorder *rd, open_rec *o)
{
	open_rec **first = o->ended ? &rd->efirst : &rd->first;
	open_rec **last = o->ended ? &rd->elast : &rd->last;

	if (o->prev)
		o->prev->next = o->next;
	else
		*first = o->next;
	if (o->next)
		o->next->prev = o->prev;
	else
		*last = o->prev;
	o->prev = o->next = NULL;
}

static void
append_open(open_rec **first, open_rec **last, open_rec *o)
{
	o->prev = *last;
	if (*last)
		(*last)->next = o;
	else
		*first = o;
	*last = o;
}

static uint64_t
fingerprint(const char *id)
{
	return agrp_hash_done(agrp_hash_bytes(AGRP_HASH_SEED, id, strlen(id)));
}

/* A trace handed over for room: known from now on by its fingerprint. */
static void
remember_gone(agr_recorder *rd, const agr_recording *rc)
{
	size_t slot = rd->gone_next++ % AGRP_GONE;
	uint64_t fp = fingerprint(rc->trace);

	if (slot >= rd->gone_cap) {
		size_t cap = rd->gone_cap ? 2 * rd->gone_cap : 64;

		cap = cap < AGRP_GONE ? cap : AGRP_GONE;
		rd->gone = agrp_xrealloc(rd->gone, cap * sizeof *rd->gone);
		rd->gone_cap = cap;
	} else if (rd->gone_next > AGRP_GONE) {
		agrp_gone *old = &rd->gone[slot];

		if ((uintptr_t)agrp_u64map_get(&rd->gone_index, old->fp) == slot + 1)
			agrp_u64map_del(&rd->gone_index, old->fp);
	}
	rd->gone[slot].fp = fp;
	rd->gone[slot].final_step = rc->final_step;
	agrp_u64map_put(&rd->gone_index, fp, (void *)(uintptr_t)(slot + 1));
}

static void
close_open(agr_recorder *rd, open_rec *o, bool for_room)
{
	agrp_map_del(&rd->open, o->rc->trace);
	unlink_open(rd, o);
	if (o->ended)
		rd->nended--;
	if (for_room)
		remember_gone(rd, o->rc);
	rd->fn(rd->ctx, o->rc);
	free(o);
}

bool
agr_recorder_add(agr_recorder *rd, const agr_record *rec, agr_error *err)
{
	char buf[256];
	const char *id = agrp_record_str(rec, "trace", buf, sizeof buf);
	open_rec *o;
	bool ok;

	if (id == NULL)
		id = "";
	if ((o = agrp_map_get(&rd->open, id)) == NULL) {
		uintptr_t gone = (uintptr_t)agrp_u64map_get(&rd->gone_index, fingerprint(id));

		if (gone != 0) {
			agrp_error_set(
			    err, NULL, 0, 0,
			    "a record of trace '%s' comes after its final record (step "
			    "%ld), but the trace is handed over: %d traces have ended since",
			    id, rd->gone[gone - 1].final_step, AGRP_HELD);
			agr_error_at_record(err, rec);
			return false;
		}
		o = agrp_xcalloc(1, sizeof *o);
		o->rc = agr_recording_new(rd->g, id);
		if (rd->replay != NULL)
			agr_recording_replay_as_read(o->rc, rd->replay, rd->check);
		append_open(&rd->first, &rd->last, o);
		agrp_map_put(&rd->open, id, o);
	}
	ok = agr_recording_add(o->rc, rec, err);
	if (o->rc->ended && !o->ended) {
		unlink_open(rd, o);
		o->ended = true;
		append_open(&rd->efirst, &rd->elast, o);
		if (++rd->nended > AGRP_HELD)
			close_open(rd, rd->efirst, true);
	}
	return ok;
}

void
agr_recorder_replay(agr_recorder *rd, const agr_replay_opts *o, bool check)
{
	rd->replay = o;
	rd->check = check;
}

void
agr_recorder_finish(agr_recorder *rd)
{
	/* The ended in the order they ended, then the rest as they began. */
	while (rd->efirst != NULL)
		close_open(rd, rd->efirst, false);
	while (rd->first != NULL)
		close_open(rd, rd->first, false);
}

void
agr_recorder_finish_ended(agr_recorder *rd)
{
	while (rd->efirst != NULL)
		close_open(rd, rd->efirst, false);
}

static void
free_list(open_rec *o)
{
	while (o != NULL) {
		open_rec *next = o->next;

		agr_recording_free(o->rc);
		free(o);
		o = next;
	}
}

void
agr_recorder_free(agr_recorder *rd)
{
	if (rd == NULL)
		return;
	free_list(rd->efirst);
	free_list(rd->first);
	agrp_map_free(&rd->open);
	agrp_u64map_free(&rd->gone_index);
	free(rd->gone);
	free(rd);
}
