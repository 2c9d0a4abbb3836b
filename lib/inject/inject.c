/*
 * inject.c - deterministic, seeded fault injection into traces: the
 * injector, which streams records through the specs (spec.c) and applies
 * the faults (faults.c) that hit them.
 *
 * A fault spec names a fault, the records it may hit (its target kind and
 * selectors), how often (p, n, nth, first) and its parameters.  Records
 * stream through; a record that no fault hits is written back as its
 * original bytes.  Every injection writes a `fault` record just before the
 * record it changed and links that record to it with `cause`; inserting it
 * moves the later steps of the trace up by one, and says so.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inject/inject_int.h"

/* A record held back by msg-delay or reorder. */
typedef struct held_rec {
	json_t *rec;
	long left;     /* records of the trace still to pass it */
	bool stepless; /* it had no step: it gets none, and nothing moves */
} held_rec;

typedef struct tstate {
	char *id;
	struct tstate *prev, *next; /* the open traces, in the order they began */
	agrp_steps inserted;
	agrp_map counts; /* "<spec>\x1f<tool>" -> candidates seen, for nth/first */
	held_rec *held;
	size_t nheld, capheld;
	long last_step;  /* the last original step written */
	json_t *outputs; /* tool -> its last output in the trace, once there is one */
} tstate;

agr_injector *
agr_injector_new(uint64_t seed, agr_write_fn out, void *ctx)
{
	agr_injector *in = agrp_xcalloc(1, sizeof *in);

	agr_prng_seed(&in->prng, seed);
	in->tools = json_object();
	in->out = out;
	in->out_ctx = ctx;
	return in;
}

void
agr_injector_live(agr_injector *in)
{
	in->live = true;
}

void
agr_injector_live_answers(agr_injector *in)
{
	in->live = true;
	in->answers = true;
}

void
agr_injector_quiet(agr_injector *in, agr_write_fn manifest, void *ctx)
{
	in->quiet = true;
	in->manifest = manifest;
	in->manifest_ctx = ctx;
}

static void
tstate_free(tstate *t)
{
	for (size_t i = 0; i < t->nheld; i++)
		json_decref(t->held[i].rec);
	free(t->held);
	agrp_steps_free(&t->inserted);
	free(t->id);
	json_decref(t->outputs);
	agrp_map_free(&t->counts);
	free(t);
}

void
agr_injector_free(agr_injector *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->n; i++)
		agrp_fspec_free(&in->f[i]);
	free(in->f);
	while (in->first != NULL) {
		tstate *t = in->first;

		in->first = t->next;
		tstate_free(t);
	}
	agrp_map_free(&in->traces);
	json_decref(in->tools);
	if (in->rewrite != NULL)
		for (char **a = in->rewrite; *a; a++)
			free(*a);
	free(in->rewrite);
	free(in);
}

void
agr_injector_rewrite_cmd(agr_injector *in, const char *cmd)
{
	char *copy = agrp_xstrdup(cmd), *save = NULL, *word;
	size_t n = 0;

	for (word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		in->rewrite = agrp_xrealloc(in->rewrite, (n + 2) * sizeof *in->rewrite);
		in->rewrite[n++] = agrp_xstrdup(word);
		in->rewrite[n] = NULL;
	}
	free(copy);
}

extern char **environ;

/* The most a rewrite command may write for one record, less its last
 * newline: past it the command is stopped and the record is an error, so
 * that a command that floods its output cannot take all memory. */
#define REWRITE_MAX ((size_t)1 << 20)

/* What the rewrite command wrote, checked as a text parameter is: not
 * empty, no NUL, UTF-8.  False, with err, when it is none. */
static bool
rewrite_text_ok(const char *cmd, const char *out, size_t len, agr_error *err)
{
	size_t bad;

	if (len == 0) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: %s wrote no text", cmd);
		return false;
	}
	if (memchr(out, '\0', len) != NULL) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: %s wrote a NUL byte (at byte %zu)",
		               cmd, (size_t)((const char *)memchr(out, '\0', len) - out) + 1);
		return false;
	}
	if ((bad = agrp_utf8_bad(out, len)) < len) {
		agrp_error_set(err, NULL, 0, 0,
		               "--rewrite-cmd: %s wrote bytes that are not UTF-8 (at byte %zu)",
		               cmd, bad + 1);
		return false;
	}
	return true;
}

/* Runs the rewrite command, no shell, with the record on its stdin; its
 * stdout, less the last newline, is the text: at most REWRITE_MAX bytes,
 * UTF-8, no NUL, not empty.  NULL, with err, when it cannot run, fails or
 * writes anything else: a rewrite never passes silently. */
static char *
run_rewrite(char *const *argv, const json_t *rec, agr_error *err)
{
	char *input = json_dumps(rec, JSON_COMPACT), *out = NULL;
	FILE *in = tmpfile();
	int pipefd[2] = { -1, -1 }, status = 0, rc;
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 0;
	ssize_t got;
	pid_t pid;
	bool flood = false;

	if (in == NULL || pipe(pipefd) != 0) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: %s", strerror(errno));
		goto fail;
	}
	fprintf(in, "%s\n", input);
	fflush(in);
	rewind(in);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(in), 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: cannot run %s: %s", argv[0],
		               strerror(rc));
		goto fail;
	}
	/* room for REWRITE_MAX bytes, its newline and one more, to know it is past */
	do {
		size_t want = len + 4096 < REWRITE_MAX + 3 ? len + 4096 : REWRITE_MAX + 3;

		agrp_grow(&out, &cap, want, 1);
		got = read(pipefd[0], out + len, want - len - 1);
		if (got > 0)
			len += (size_t)got;
		if (len > REWRITE_MAX + 1) {
			flood = true;
			kill(pid, SIGKILL);
			break;
		}
	} while (got > 0 || (got < 0 && errno == EINTR));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (flood) {
		agrp_error_set(
		    err, NULL, 0, 0,
		    "--rewrite-cmd: %s wrote more than 1 MiB (1048576 bytes) for one record",
		    argv[0]);
		goto fail;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		/* posix_spawn may fork first and report a failed exec so (valgrind does) */
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: cannot run %s (exit 127)", argv[0]);
		goto fail;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: %s failed (%s %d)", argv[0],
		               WIFEXITED(status) ? "exit" : "signal",
		               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto fail;
	}
	agrp_grow(&out, &cap, len + 1, 1);
	out[len] = '\0';
	if (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	if (len > REWRITE_MAX) {
		agrp_error_set(
		    err, NULL, 0, 0,
		    "--rewrite-cmd: %s wrote more than 1 MiB (1048576 bytes) for one record",
		    argv[0]);
		goto fail;
	}
	if (!rewrite_text_ok(argv[0], out, len, err))
		goto fail;
	close(pipefd[0]);
	fclose(in);
	free(input);
	return out;
fail:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (in != NULL)
		fclose(in);
	free(input);
	free(out);
	return NULL;
}

/* ---- injecting ------------------------------------------------------- */

static tstate *
trace_state(agr_injector *in, const char *id)
{
	tstate *t = agrp_map_get(&in->traces, id);

	if (t == NULL) {
		t = agrp_xcalloc(1, sizeof *t);
		t->id = agrp_xstrdup(id);
		t->last_step = -1;
		agrp_map_put(&in->traces, id, t);
		t->prev = in->last;
		if (in->last != NULL)
			in->last->next = t;
		else
			in->first = t;
		in->last = t;
	}
	return t;
}

static bool
eq(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

/* Does spec fi hit this record?  Counts candidates and draws as it goes. */
static bool
hits(agr_injector *in, size_t fi, tstate *t, const agr_record *rec, const agrp_common *com)
{
	const agrp_fspec *f = &in->f[fi];

	if (!eq(f->kind ? f->kind : f->def->target, com->kind) || !eq(f->tool, com->tool) ||
	    !eq(f->agent, com->agent) || !eq(f->trace, com->trace) ||
	    (f->step >= 0 && f->step != com->step))
		return false;
	if (f->where != NULL && !agr_expr_test_record(f->where, rec, NULL))
		return false;
	if (f->tools != NULL && f->tool == NULL && f->where == NULL &&
	    !agr_expr_test_record(f->tools, rec, NULL))
		return false;
	if (f->nth > 0 || f->first > 0) {
		/* the spec and the whole tool name: a cut one would count two tools as one */
		agrp_buf key = { 0 };
		char num[32];
		long seen;

		snprintf(num, sizeof num, "%zu\x1f", fi);
		agrp_buf_str(&key, num);
		agrp_buf_str(&key, com->tool ? com->tool : "");
		seen = (long)(intptr_t)agrp_map_get(&t->counts, key.p) + 1;
		agrp_map_put(&t->counts, key.p, (void *)(intptr_t)seen);
		free(key.p);
		if ((f->nth > 0 && seen != f->nth) || (f->first > 0 && seen > f->first))
			return false;
	}
	if (f->n >= 0 && f->injected >= f->n)
		return false;
	/* Draw only below certainty, so that p=1 specs move no other draw. */
	if (f->p < 1 && agr_prng_double(&in->prng) >= f->p)
		return false;
	return true;
}

/* Writes records held back whose time has come (all of them when all). */
static void
release(agr_injector *in, tstate *t, bool all)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->nheld; i++) {
		held_rec *h = &t->held[i];

		if (all || --h->left <= 0) {
			/* It lands after the last record written: later ones move up. */
			if (!h->stepless) {
				agrp_steps_insert(&t->inserted, t->last_step + 1);
				json_object_set_new(
				    h->rec, "step",
				    json_integer(agrp_steps_moved(&t->inserted, t->last_step) + 1));
			}
			agrp_write_record(in->out, in->out_ctx, h->rec);
			json_decref(h->rec);
		} else {
			t->held[kept++] = *h;
		}
	}
	t->nheld = kept;
}

static void
hold(tstate *t, json_t *rec, long records, bool stepless)
{
	agrp_grow(&t->held, &t->capheld, t->nheld + 1, sizeof *t->held);
	t->held[t->nheld].rec = json_incref(rec);
	t->held[t->nheld].stepless = stepless;
	t->held[t->nheld].left = records > 0 ? records : 1;
	t->nheld++;
}

static void
end_trace(agr_injector *in, tstate *t)
{
	agrp_map_del(&in->traces, t->id);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		in->first = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	else
		in->last = t->prev;
	tstate_free(t);
}

/* What the faults that hit one record did to it. */
typedef struct applied {
	json_t *changed; /* the record as they left it; NULL: untouched, its bytes go out */
	json_t *causes;  /* the steps of their fault records, for the record's cause */
	json_t *extras;  /* records to write after it (MBA) */
	json_t *live;    /* a real call's (agr_injector_apply()): its fault records' fields */
	agrp_outcome what;
	long copies, delay;
	double late_ms; /* latency: how much later the record comes */
	size_t n;       /* how many applied */
} applied;

static void
applied_free(applied *a)
{
	json_decref(a->changed);
	json_decref(a->causes);
	json_decref(a->extras);
	json_decref(a->live);
}

/* The fault record for spec f, applied as fc says, on the record com
 * describes; links the record to it through causes.  A real call's has
 * only what the fault did (fault, params, drawn), for a->live: the router
 * writes it where it goes, and nothing moves. */
static void
fault_record(agr_injector *in, const agrp_fspec *f, const agrp_fctx *fc, tstate *t,
             const agrp_common *com, applied *a)
{
	json_t *fr = json_object();
	bool live = a->live != NULL;

	if (!live)
		json_object_set_new(fr, "trace", json_string(com->trace));
	if (!live && !in->quiet && com->step >= 0) {
		/* The fault takes the record's place; the record and what follows move
		 * up.  A record with no step has no place among the steps: its fault
		 * record has no step either, and nothing moves. */
		long at = agrp_steps_moved(&t->inserted, com->step);

		agrp_steps_insert(&t->inserted, com->step);
		json_object_set_new(fr, "step", json_integer(at));
		if (a->causes == NULL)
			a->causes = json_array();
		json_array_append_new(a->causes, json_integer(at));
	}
	if (!live)
		json_object_set_new(fr, "kind", json_string("fault"));
	json_object_set_new(fr, "fault", json_string(f->def->name));
	if (!live && com->tool != NULL)
		json_object_set_new(fr, "tool", json_string(com->tool));
	if (!live && com->step >= 0)
		json_object_set_new(fr, "target", json_integer(com->step));
	json_object_set(fr, "params", (json_t *)fc->params);
	if (fc->drawn != NULL)
		json_object_set(fr, "drawn", fc->drawn);
	if (live) {
		json_array_append(a->live, fr);
	} else if (!in->quiet) {
		if (com->step >= 0)
			json_object_set_new(fr, "renumbered", json_true());
		agrp_write_record(in->out, in->out_ctx, fr);
	} else if (in->manifest != NULL) {
		agrp_write_record(in->manifest, in->manifest_ctx, fr);
	}
	json_decref(fr);
}

/* The parameters of spec f with its words from outside: the rewrite
 * command's output, or one of its templates.  A new object; NULL, with
 * err, when the command fails. */
static json_t *
with_words(agr_injector *in, const agrp_fspec *f, const json_t *rec, agr_error *err)
{
	char *text = in->rewrite
	                 ? run_rewrite(in->rewrite, rec, err)
	                 : agrp_xstrdup(f->templates[agr_prng_below(&in->prng, f->ntemplates)]);
	json_t *params;

	if (text == NULL)
		return NULL;
	params = json_deep_copy(f->params);
	json_object_set_new(params, f->def->words, json_string(text));
	free(text);
	return params;
}

/* Applies, in order, each spec that hits the record, until one drops or
 * holds it back; writes their fault records.  Only the specs of faults
 * that are live as which says, unless it is AGRP_LIVE_NO.  False, with
 * err, when a rewrite command fails. */
static bool
apply_faults(agr_injector *in, const agr_record *rec, const agrp_common *com, tstate *t, applied *a,
             agrp_live which, agr_error *err)
{
	for (size_t i = 0; i < in->n && a->what != AGRP_DROP && a->what != AGRP_DELAY; i++) {
		agrp_fspec *f = &in->f[i];
		agrp_fctx fc = { f->params, &in->prng, 0, 0, t->outputs, in->tools, NULL, NULL, 0 };
		json_t *own_params = NULL, *before;
		agrp_outcome o;

		if (which != AGRP_LIVE_NO && f->live_as != which)
			continue;
		if (!hits(in, i, t, rec, com))
			continue;
		if (a->changed == NULL)
			a->changed = json_deep_copy(agr_record_json(rec));
		if (f->def->words != NULL && (in->rewrite != NULL || f->ntemplates > 0)) {
			if ((own_params = with_words(in, f, a->changed, err)) == NULL)
				return false;
			fc.params = own_params;
		}
		before = json_deep_copy(a->changed);
		o = f->def->apply(a->changed, &fc);
		/* A fault that leaves the record as it was (a cut longer than the
		 * text, a tool swapped for itself) is none: a fault record would
		 * claim a change never made. */
		if (o == AGRP_KEEP && fc.extra == NULL && json_equal(before, a->changed))
			o = AGRP_SKIP;
		json_decref(before);
		if (o == AGRP_SKIP) {
			/* Nothing to do it with: no fault, and a SKIP leaves the record as it
			 * was, so with no fault before it the original bytes go out. */
			json_decref(own_params);
			json_decref(fc.drawn);
			if (a->n == 0) {
				json_decref(a->changed);
				a->changed = NULL;
			}
			continue;
		}
		if (fc.extra != NULL) {
			if (a->extras == NULL)
				a->extras = json_array();
			json_array_append_new(a->extras, fc.extra);
		}
		a->n++;
		f->injected++;
		if (o != AGRP_KEEP)
			a->what = o;
		a->copies += fc.copies;
		a->delay += fc.delay;
		a->late_ms += fc.late_ms;
		fault_record(in, f, &fc, t, com, a);
		json_decref(own_params);
		json_decref(fc.drawn);
	}
	return true;
}

/* Remembers the tools seen and each tool's last output in the trace, for
 * the faults that draw from them. */
static void
track_seen(agr_injector *in, tstate *t, const agr_record *rec, const agrp_common *com)
{
	const json_t *out = json_object_get(agr_record_json(rec), "output");

	if (com->tool != NULL && json_object_get(in->tools, com->tool) == NULL)
		json_object_set_new(in->tools, com->tool, json_true());
	if (com->tool != NULL && out != NULL && com->kind != NULL &&
	    strcmp(com->kind, "result") == 0) {
		if (t->outputs == NULL)
			t->outputs = json_object();
		json_object_set_new(t->outputs, com->tool, json_deep_copy(out));
	}
}

/* The changed record's step where it is now, and its cause: its own (moved)
 * and the fault records before it. */
static void
renumber_changed(tstate *t, applied *a, long step)
{
	json_t *old = json_object_get(a->changed, "cause");

	if (step >= 0)
		json_object_set_new(a->changed, "step",
		                    json_integer(agrp_steps_moved(&t->inserted, step)));
	if (json_array_size(a->causes) > 0) {
		/* its own causes first, where they are now, then the fault records' */
		json_t *own = old != NULL ? agrp_steps_cause(&t->inserted, old) : NULL;

		if (json_is_array(own)) {
			for (size_t i = json_array_size(own); i-- > 0;)
				json_array_insert(a->causes, 0, json_array_get(own, i));
		} else if (own != NULL) {
			json_array_insert(a->causes, 0, own);
		}
		json_decref(own);
		json_object_set(a->changed, "cause",
		                json_array_size(a->causes) == 1 ? json_array_get(a->causes, 0)
		                                                : a->causes);
	} else if (old != NULL && t->inserted.count > 0) {
		json_object_set_new(a->changed, "cause", agrp_steps_cause(&t->inserted, old));
	}
}

/* Writes the changed record, its copies and the records it brings along;
 * each one more moves the later steps up once again. */
static void
write_changed(agr_injector *in, tstate *t, applied *a, long step)
{
	agrp_write_record(in->out, in->out_ctx, a->changed);
	for (long c = 0; a->what == AGRP_COPY && c < a->copies; c++) {
		if (step >= 0) { /* a record with no step has copies with none */
			agrp_steps_insert(&t->inserted, step);
			json_object_set_new(a->changed, "step",
			                    json_integer(agrp_steps_moved(&t->inserted, step)));
		}
		agrp_write_record(in->out, in->out_ctx, a->changed);
	}
	for (size_t k = 0; k < json_array_size(a->extras); k++) {
		json_t *x = json_array_get(a->extras, k);

		if (step >= 0) {
			agrp_steps_insert(&t->inserted, step);
			json_object_set_new(x, "step",
			                    json_integer(agrp_steps_moved(&t->inserted, step)));
		}
		if (json_array_size(a->causes) > 0)
			json_object_set(x, "cause", json_object_get(a->changed, "cause"));
		agrp_write_record(in->out, in->out_ctx, x);
	}
}

bool
agr_injector_feed(agr_injector *in, const agr_record *rec, agr_error *err)
{
	agrp_common com;
	/* causes and extras made when a fault needs them: most records meet none */
	applied a = { NULL, NULL, NULL, NULL, AGRP_KEEP, 0, 0, 0, 0 };
	tstate *t;
	bool final;

	agrp_record_common(rec, &com);
	final = com.kind != NULL && strcmp(com.kind, "final") == 0;
	if (in->n > 0 && !agrp_steps_fit(rec, "agraph-inject", err)) {
		applied_free(&a);
		return false;
	}
	t = trace_state(in, com.trace);
	if (!apply_faults(in, rec, &com, t, &a, AGRP_LIVE_NO, err)) {
		applied_free(&a);
		return false;
	}
	if (in->track)
		track_seen(in, t, rec, &com);
	if (final)
		release(in, t, true); /* nothing of a run may come after its final */
	if (a.changed == NULL) {
		agrp_steps_write(&t->inserted, rec, com.step, in->out, in->out_ctx);
	} else if (a.what != AGRP_DROP) {
		renumber_changed(t, &a, com.step);
		if (a.what == AGRP_DELAY)
			hold(t, a.changed, a.delay, com.step < 0);
		else
			write_changed(in, t, &a, com.step);
	}
	if (com.step >= 0)
		t->last_step = com.step;
	if (a.what != AGRP_DELAY)
		release(in, t, false);
	applied_free(&a);
	if (final)
		end_trace(in, t);
	return true;
}

json_t *
agr_injector_apply(agr_injector *in, json_t *rec, agr_live_faults which, double *wait_ms,
                   agr_error *err)
{
	applied a = { NULL, json_array(), json_array(), json_array(), AGRP_KEEP, 0, 0, 0, 0 };
	char *bytes = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(15));
	agr_record *r = agr_record_new();
	json_t *live = NULL;
	agrp_common com;
	tstate *t;

	*wait_ms = 0;
	/* The record as the readers of a trace see it, for where= and the
	 * selectors: its fields as they will be written, read by one reader. */
	if (!agr_record_set(r, bytes, strlen(bytes), NULL, 0, err))
		goto out;
	agrp_record_common(r, &com);
	t = trace_state(in, com.trace);
	if (!apply_faults(in, r, &com, t, &a,
	                  which == AGR_LIVE_SERVICE ? AGRP_LIVE_SERVICE : AGRP_LIVE_RESPONSE, err))
		goto out;
	/* the output the tool gave, before its faults, as agraph-inject keeps it */
	if (in->track && which == AGR_LIVE_RESPONSE)
		track_seen(in, t, r, &com);
	if (a.changed != NULL) {
		json_object_clear(rec);
		json_object_update(rec, a.changed);
	}
	*wait_ms = a.late_ms;
	live = json_incref(a.live);
out:
	applied_free(&a);
	agr_record_free(r);
	free(bytes);
	return live;
}

void
agr_injector_finish(agr_injector *in)
{
	/* Records still held go out at the end, trace by trace in the order they began. */
	while (in->first != NULL) {
		release(in, in->first, true);
		end_trace(in, in->first);
	}
}

size_t
agr_injector_count(const agr_injector *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->n; i++)
		n += (size_t)in->f[i].injected;
	return n;
}
