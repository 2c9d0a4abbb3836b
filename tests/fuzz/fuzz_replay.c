/* fuzz_replay.c - records (a line each) replayed two ways on one graph:
 * each recording whole, once the input has ended (agr_replay_run(),
 * agr_replay_check()), and as it is read (agr_recorder_replay()).  The
 * two must give the same bytes, the same divergence and the same counts;
 * the input's size picks what a missing answer gets. */
#include "fuzz.h"

/* Retries, a fallback goal and alternatives: a run that reroutes, retries
 * and demotes, so that answers are asked for in many orders. */
static const char graph_text[] = "graph: g\n"
                                 "start: S\n"
                                 "goal: G\n"
                                 "fallback: [F]\n"
                                 "nodes:\n"
                                 "  A: {retries: 1}\n"
                                 "edges:\n"
                                 "  - [S, A, 1]\n"
                                 "  - [S, B, 2]\n"
                                 "  - [A, C, 1]\n"
                                 "  - [B, C, 1]\n"
                                 "  - [C, G, 1]\n"
                                 "  - [B, F, 5]\n";

typedef struct side {
	agrp_buf bytes; /* every trace's replay, or its divergence, one after another */
	const agr_replay_opts *o;
	bool check;
	bool as_read;
} side;

static void
keep(void *ctx, const char *bytes, size_t len)
{
	agrp_buf_add(ctx, bytes, len);
	agrp_buf_add(ctx, "\n", 1);
}

static void
put_outcome(side *s, agr_recording *rc, bool same, const agr_divergence *d,
            const agr_replay_info *info)
{
	char line[160];
	const char *rb = "-";
	size_t rlen = 1;

	if (!same && d->recorded != NULL)
		rb = agr_record_bytes(d->recorded, &rlen);
	agrp_buf_str(&s->bytes, agr_recording_trace(rc));
	snprintf(line, sizeof line, " same=%d final=%d records=%ld unrecorded=%ld\n", same,
	         (int)info->final, info->records, info->unrecorded);
	agrp_buf_str(&s->bytes, line);
	if (!same) {
		keep(&s->bytes, rb, rlen);
		keep(&s->bytes, d->replayed ? d->replayed : "-", d->replayed ? d->replayed_len : 1);
	}
}

static void
handed_over(void *ctx, agr_recording *rc)
{
	side *s = ctx;
	agr_replay_info info;
	agr_divergence d;

	if (s->check) {
		bool same = s->as_read ? agr_recording_checked(rc, &d, &info)
		                       : agr_replay_check(rc, s->o, &d, &info);

		/* as read, the replay after a divergence still runs, for the
		 * world: its counts are the whole replay's too */
		put_outcome(s, rc, same, &d, &info);
		free(d.replayed);
	} else {
		if (s->as_read)
			agr_recording_replayed(rc, keep, &s->bytes, &info);
		else
			agr_replay_run(rc, s->o, keep, &s->bytes, &info);
		memset(&d, 0, sizeof d);
		put_outcome(s, rc, true, &d, &info);
	}
	agr_recording_free(rc);
}

static void
replay(const agr_graph *g, const char *text, side *s)
{
	agr_recorder *rd = agr_recorder_new(g, handed_over, s);
	agr_record *rec = agr_record_new();
	agr_error e;

	if (s->as_read)
		agr_recorder_replay(rd, s->o, s->check);
	for (const char *p = text, *end; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		if (agr_record_set(rec, p, (size_t)(end - p), "fuzz", 1, &e))
			agr_recorder_add(rd, rec, &e);
	}
	agr_recorder_finish(rd);
	agr_recorder_free(rd);
	agr_record_free(rec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static agr_graph *g;
	char *text = fuzz_string(data, size);
	agr_replay_opts o = { .router = { .policy = AGR_POLICY_HEAL, .goal = -1 } };
	agr_error e;

	if (g == NULL &&
	    (g = agr_graph_load_string(graph_text, strlen(graph_text), "g", &e)) == NULL)
		abort();
	o.missing = (agr_missing)(size % 4);
	for (int check = 0; check < 2; check++) {
		side whole = { .o = &o, .check = check }, as_read = whole;

		as_read.as_read = true;
		replay(g, text, &whole);
		replay(g, text, &as_read);
		if (whole.bytes.n != as_read.bytes.n ||
		    (whole.bytes.n > 0 &&
		     memcmp(whole.bytes.p, as_read.bytes.p, whole.bytes.n) != 0)) {
			fprintf(stderr, "whole:\n%s\nas read:\n%s\n",
			        whole.bytes.p ? whole.bytes.p : "",
			        as_read.bytes.p ? as_read.bytes.p : "");
			abort();
		}
		free(whole.bytes.p);
		free(as_read.bytes.p);
	}
	free(text);
	return 0;
}
