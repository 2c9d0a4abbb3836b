/*
 * router_int.h - the router's state, shared by the router (router.c),
 * what an event sets off in it (heal.c) and the baselines it compares
 * with (baseline.c).  Files call downwards only: router.c calls heal.c
 * and baseline.c, neither calls back.  Only lib/route/ reads it.
 * Internal names start with agrp_.
 */
#ifndef AGRP_ROUTER_INT_H
#define AGRP_ROUTER_INT_H

#include "route/route_int.h"

typedef struct slot {
	agr_event ev;
	int *path;
	size_t pathcap;
	/* whole, however long: a text cut short would be another (and could
	 * end inside a UTF-8 sequence) */
	char *error_class, *message;
	size_t capclass, capmessage;
	json_t *extra;
	bool by_monitor; /* caused by a monitor: not evaluated again */
} slot;

/* An edge out of cur, as the baselines try them (see untried_next). */
typedef struct option {
	agr_cost cost;
	const char *name;
	int to;
} option;

typedef struct deferred {
	const char *monitor; /* the graph's */
	agrp_action action;
	int tool;
	agr_cost amount;
	long cause;
	size_t goal; /* a demote: the goal it moves to, past the one pursued when it fired */
} deferred;

struct agr_router {
	const agr_graph *g;
	agr_router_opts o;
	agr_search *search;
	size_t n;
	char *trace;
	unsigned char *down;
	unsigned char *completed;
	unsigned char *blocked;
	unsigned char *reach; /* replan: the nodes a path from cur can reach */
	agr_cost *penalty;
	int *goals;
	size_t ngoals, goal_idx;
	int cur;
	int *plan;
	size_t plan_len, plan_pos;
	int *walked;
	size_t nwalked;
	long step;
	long ncalls;
	long pending_call; /* waiting for this call's result, or 0 */
	/* bit c: call c was answered by the router (it timed out, or the
	 * policy refused it): a later result for it is passed over */
	unsigned char *timed_out;
	size_t timed_out_cap;
	int pending_tool;
	int attempt;
	bool retry; /* call plan[plan_pos] again */
	bool started, finished, final_given;
	bool health_dirty; /* health changed since the plan was made */
	long health_cause;
	int health_tool;
	slot *q;
	size_t qcap, qhead, qtail;
	deferred *def; /* actions waiting for the call out (see defer()) */
	size_t ndef, capdef;
	size_t def_segment;         /* def[def_segment..]: since the last demote */
	size_t *def_index;          /* 2 * tool + (penalty): its entry + 1 there */
	unsigned char *def_demoted; /* [goal]: a demote to it is in def */
	bool def_escalates;         /* an escalate is in def */
	agr_cost penalty_total;     /* of all tools, at most AGR_PATH_COST_MAX */
	bool in_monitor;
	bool hold_actions;       /* a monitor's action now waits (defer()), as for a call */
	agrp_buf monitor_bytes;  /* the record monitors are tested on, */
	agr_record *monitor_rec; /* read in place */
	long fault_cause;        /* a fault record's step, for the next result or health */
	json_t *scope;           /* what args: read: {"input": ..., "outputs": {...}}, or NULL */
	json_t *outputs;         /* in scope: each completed node's output, when it had one */
	/* the call in hand was refused by the policy (opts.govern): blocked
	 * (AGR_DECISION_BLOCK) or escalated; AGR_DECISION_ALLOW: it was not */
	agr_decision refused;
	/* the baselines (baseline.c) */
	unsigned char *tried; /* static: [node] failed in this run; react: at cur */
	int *tried_list;      /* react: the nodes tried at cur, to clear */
	size_t ntried;
	int stand_in;     /* static: plan[1] is 0 the plan's, 1 an alternative, 2 a sibling */
	long react_cause; /* react: the step the next decision follows */
	unsigned char *leads_to_goal; /* react: [node] an edge path leads from it to the goal */
	option *options;              /* the edges out of options_at - 1 by cost, then name, */
	size_t noptions, capoptions, options_pos; /* the first options_pos passed over */
	int options_at;                           /* the node + 1, 0: none yet */
};

/* ---- heal.c: the queue, the plans, the monitors --------------------- */

/* A new event of kind at the queue's tail, its step the next; valid until
 * the next push. */
slot *agrp_router_push(agr_router *r, agr_kind kind, bool by_monitor);
void agrp_router_set_path(slot *s, const int *path, size_t len, agr_cost cost);
/* src (NULL: "") into *dst, of room *cap, whole and as UTF-8. */
void agrp_router_set_text(char **dst, size_t *cap, const char *src);
/* Gives the event in s out (and to the monitors): s is not used after. */
void agrp_router_emit(agr_router *r, slot *s);
/* The final record: the run is over. */
void agrp_router_finish(agr_router *r, agr_final_status status, const char *reason, long cause,
                        bool by_monitor);
/* One consultation of the model, for purpose: what stats counts as a
 * model call.  Returns its step. */
long agrp_router_model_call(agr_router *r, const char *purpose, long cause, bool by_monitor);
/* No goal is left: an escalate, the self-healing router's model call, the final. */
void agrp_router_escalate(agr_router *r, long cause, const char *reason, bool by_monitor);
/* The first plan (a baseline's as it plans), or the ReAct agent's first
 * model call. */
void agrp_router_begin(agr_router *r);
/* The plan is gone: a reroute to the goal pursued, else a demotion to a
 * later one (from first_goal on), else an escalation; cause and tool are
 * the record's that made it so. */
void agrp_router_replan(agr_router *r, long cause, int tool, size_t first_goal, bool by_monitor);
/* After health changed: a reroute when the cheapest path is no longer the
 * plan; true when it wrote a record. */
bool agrp_router_reconsider(agr_router *r);
/* The monitors' actions that waited for the call out (see defer()). */
void agrp_router_apply_deferred(agr_router *r);

/* ---- the baselines (baseline.c): decisions, whose records the router writes */

typedef enum agrp_static_step {
	AGRP_STATIC_REROUTE, /* to an alternative or a sibling: the plan, *cost its cost */
	AGRP_STATIC_CRASH,   /* a visible failure, for reason */
	AGRP_STATIC_SKIP,    /* the skip-edge: on with the plan, nothing said */
} agrp_static_step;

/* The static (LangGraph) baseline after tool failed for good. */
agrp_static_step agrp_static_failed(agr_router *r, int tool, agr_cost *cost, char *reason,
                                    size_t size);

/* The ReAct agent's next tool from cur, made the plan (cur, it); -1: none
 * is left.  failed: the tool that just failed there, or -1 at a node new
 * to the walk. */
int agrp_react_next(agr_router *r, int failed);

#endif
