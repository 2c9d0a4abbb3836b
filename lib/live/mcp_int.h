/*
 * mcp_int.h - what mcp.c (the meaning of the messages) and relay.c (the
 * processes and the bytes) of agraph-mcp share.
 */
#ifndef AGRP_MCP_INT_H
#define AGRP_MCP_INT_H

#include <sys/types.h>

#include "live/live_int.h"
#include "record/record_int.h"

typedef enum agrp_mcp_kind {
	AGRP_MCP_CALL,  /* tools/call: recorded, judged, faulted */
	AGRP_MCP_LIST,  /* tools/list: cut to the agent's tools */
	AGRP_MCP_OTHER, /* answered with an error if the server dies */
} agrp_mcp_kind;

/* A request of the client's in flight. */
typedef struct agrp_mcp_req {
	agrp_mcp_kind kind;
	char *key;  /* its id's JSON: the map's key, and the id of our answers */
	char *id;   /* its id as the record has it */
	char *tool; /* a call's */
	long step;  /* a call's record */
	unsigned long seq;
	long long start_ns;
	/* An answer decided and held back (latency, a stood-in timeout):
	 * due_ns (0: none), its bytes, its result's fields, its faults'. */
	long long due_ns;
	agrp_buf answer;
	json_t *result, *faults;
	bool stood_in; /* the server never saw it */
} agrp_mcp_req;

/* Lines coming in from one side. */
typedef struct agrp_mcp_in {
	int fd;
	agrp_buf b;
	size_t scan; /* where the look for a line end goes on */
	long line;   /* lines taken */
	bool open, skipping;
} agrp_mcp_in;

/* Bytes going out to one side. */
typedef struct agrp_mcp_out {
	int fd;
	agrp_buf b;
	size_t off; /* written so far */
	bool open;
} agrp_mcp_out;

typedef struct agrp_mcp {
	const agr_mcp_opts *o;
	const char *trace;
	size_t max;
	agrp_mcp_in from_client, from_server;
	agrp_mcp_out to_client, to_server;
	pid_t pid;
	int pidfd;
	bool reaped;
	agrp_map requests; /* key -> agrp_mcp_req */
	size_t nheld;
	unsigned long seq;
	agrp_map failed; /* tool -> the step of its failure, while it stands */
	char *agent;     /* the client's clientInfo.name */
	long step;       /* the record's last */
	bool ending;     /* the server is asked to end */
	int phase;       /* then: 0 its input closed, 1 SIGTERM sent, 2 SIGKILL sent */
	long long deadline;
	char *died;   /* why the server's side ended the session; NULL: the client ended it */
	bool end_now; /* the server is to be ended at once (died) */
	bool record_failed;
	agr_error record_error;
} agrp_mcp;

/* mcp.c */
void agrp_mcp_send(agrp_mcp_out *q, const char *p, size_t n); /* a line: p and '\n' */
/* The server's side is gone (why: a sentence): the session ends. */
void agrp_mcp_died(agrp_mcp *s, const char *why);
void agrp_mcp_from_client(agrp_mcp *s, const char *line, size_t n);
void agrp_mcp_from_server(agrp_mcp *s, const char *line, size_t n);
/* A message longer than s->max at line of one side. */
void agrp_mcp_too_long(agrp_mcp *s, bool from_client, long line);
void agrp_mcp_deliver(agrp_mcp *s, agrp_mcp_req *r);
void agrp_mcp_req_free(agrp_mcp_req *r);
/* Every request still in flight ended, the final record written: the
 * status to exit with (0 success, 1 failure). */
int agrp_mcp_finish(agrp_mcp *s);
void agrp_mcp_warn(agrp_mcp *s, const char *from, long line, long col, const char *fmt, ...)
    AGRP_PRINTF(5, 6);

#endif
