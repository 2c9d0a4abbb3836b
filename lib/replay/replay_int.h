/* replay_int.h - what the files of lib/replay share: a recording's parts. */
#ifndef AGRAPH_REPLAY_INT_H
#define AGRAPH_REPLAY_INT_H

#include "check/check_int.h"
#include "route/route_int.h"

typedef struct answer {
	int tool;      /* in the graph, or -1 */
	agrp_answer a; /* its strings live in rec, or in text */
	json_t *rec;   /* the result's tree, or NULL for a plain one */
	char *text;    /* a plain error's class and message, one after the other; or, */
	size_t len;    /* replayed as read, the bytes of a result not plain (a tree is
	                  ten times their size), read again when it is given */
	json_t *fault; /* fields of the fault records that caused it, in order, or NULL */
	long next;     /* the same tool's next answer, or -1 */
} answer;

typedef struct health {
	long pos; /* 2 * results before it, + 1 when a call was out */
	int tool;
	agr_health_status status;
	json_t *extra, *fault;
} health;

typedef struct pending_fault {
	long step;
	long cause;     /* the fault before it, of the same record, or -1 */
	json_t *fields; /* NULL once a record has named it as its cause */
	size_t log;     /* its place in the log */
	long next;      /* the next pending fault of the same step, or -1 */
	long tail;      /* at the first of a step: the last of that step */
} pending_fault;

/* What a kept record is to the comparison of a replay with it. */
enum {
	NOT_ROUTING,   /* the router does not write it */
	ROUTING,       /* it does */
	FAULT_UNTAKEN, /* a fault record: the router writes it when a later record names it as
	                  its cause, so it waits for the trace to end */
};

struct agr_recording {
	const agr_graph *g;
	char *trace;
	agr_record **log;       /* every record of the trace, in order; or, replayed as read, */
	unsigned char *routing; /* those not yet compared; what each is (NOT_ROUTING ...) */
	size_t nlog, caplog, caprouting;
	size_t log_base;   /* the place in the trace's log of log[0] */
	bool answers_only; /* keep no records: a replay that compares nothing */
	answer *ans;
	size_t nans, capans;
	long free_ans; /* replayed as read: an answer slot given and free, chained by next; or -1 */
	size_t waiting;     /* replayed as read: answers not given yet */
	long *first, *last; /* per node: its first and last answer, or -1 */
	health *hl;
	size_t nhl, caphl;
	agrp_map calls; /* call id -> tool + 1, for results that name none */
	long ncalls, nresults;
	pending_fault *faults; /* every fault record, taken or not */
	size_t nfaults, capfaults;
	agrp_u64map fault_steps; /* step_key(step) -> its first pending fault + 1 */
	bool ended;
	long final_step; /* of its first final */
	size_t nseen;    /* records added */
	json_t *input;   /* the run's input, when its first record gave it */
	bool complete;   /* no record will be added: what has not come never will */
	/* Replayed as it is read (agr_recording_replay_as_read(), replay.c): */
	struct agrp_as_read *live;          /* the replay's state, or NULL */
	void (*live_on)(agr_recording *rc); /* told of each record added */
	void (*live_free)(struct agrp_as_read *live);
	bool live_over;  /* the replay has ended: nothing more is wanted */
	bool live_whole; /* AGRAPH_REFERENCE: kept whole, replayed once complete */
};

void agrp_drop_answer(answer *an);
/* Replayed as read: lets go of the world's answers once the replay has
 * ended, and of the first upto records kept once they are compared. */
void agrp_recording_forget_world(agr_recording *rc);
void agrp_recording_forget_log(agr_recording *rc, size_t upto);

#endif
