/*
 * chatlog.c - chat logs of multi-agent conversations as agraph records.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interop/import_int.h"

/* ---- chat logs of multi-agent conversations ---------------------------- */

static bool
word_char(unsigned char c)
{
	return isalnum(c) || c == '_';
}

static bool
quote_char(const char *p)
{
	return *p == '"' || *p == '\'' || *p == '`' ||
	       /* “ ” ‘ ’ */
	       (strncmp(p, "\xe2\x80", 2) == 0 && (unsigned char)p[2] >= 0x98 &&
	        (unsigned char)p[2] <= 0x9d);
}

/* The word, whole, not quoted as in 'reply "TERMINATE" when done'. */
static bool
says_word(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);
	const char *end = text + len;

	/* memmem, not strstr: the text may hold a NUL (\u0000); the text
	 * ends in one, so that after may be looked at */
	for (const char *p = memmem(text, len, word, n); p != NULL;
	     p = memmem(p + 1, (size_t)(end - p - 1), word, n)) {
		const char *after = p + n;
		bool before_quote = false, after_quote = quote_char(after);

		if ((p > text && word_char((unsigned char)p[-1])) ||
		    word_char((unsigned char)*after))
			continue;
		if (p > text)
			before_quote =
			    quote_char(p - 1) ||
			    (p - text >= 3 && (unsigned char)p[-3] == 0xe2 &&
			     (unsigned char)p[-2] == 0x80 && (unsigned char)p[-1] >= 0x98 &&
			     (unsigned char)p[-1] <= 0x9d);
		if (before_quote && after_quote)
			continue;
		return true;
	}
	return false;
}

void
agrp_chatlog_run(importer *im, const json_t *run)
{
	static const char *const run_taken[] = { "history", "id", "trace_id", "question_ID" };
	static const char *const ids[] = { "id", "trace_id", "question_ID" };
	static const char *const entry_taken[] = { "name", "content" };
	const char *word = im->o && im->o->terminate_word ? im->o->terminate_word : "TERMINATE";
	const json_t *history = json_object_get(run, "history");
	bool ended = false;
	char idbuf[600];
	size_t i;
	json_t *h;

	if (!json_is_array(history)) {
		agrp_import_report(im, im->line, 1, "%s",
		                   "expected an object with a \"history\" list");
		return;
	}
	agrp_import_begin_run(im, run, run_taken, N(run_taken), ids, N(ids), idbuf, sizeof idbuf);
	json_array_foreach(history, i, h)
	{
		json_t *rec = json_object();
		const char *name = agr_json_str(h, "name"), *role = agr_json_str(h, "role");
		const char *who = name ? name : role;
		const json_t *content = json_object_get(h, "content");

		/* step is the entry's index: annotations (mistake_step) count so */
		im->step = (long)i + (ended ? 1 : 0);
		json_object_set_new(rec, "kind", json_string("message"));
		if (who != NULL) {
			agrp_import_set_whole(rec, "agent", h, name ? "name" : "role");
			agrp_import_set_whole(rec, "from", h, name ? "name" : "role");
		}
		if (content != NULL)
			json_object_set(rec, "content", (json_t *)content);
		if (ended)
			json_object_set_new(rec, "renumbered", json_true());
		if (json_is_object(h))
			agrp_import_set_src(
			    rec, agrp_json_without(h, name ? entry_taken : entry_taken + 1,
			                           name ? N(entry_taken) : 1));
		else
			json_object_set(rec, "src", h);
		if (json_is_object(h) && name == NULL && role != NULL) {
			/* role stood for the agent: it is not lost, it is "agent" */
			json_t *src = json_object_get(rec, "src");

			json_object_del(src, "role");
			if (json_object_size(src) == 0)
				json_object_del(rec, "src");
		}
		agrp_import_put(im, rec);
		if (!ended && json_is_string(content) &&
		    says_word(json_string_value(content), json_string_length(content), word)) {
			json_t *fin = json_object();
			const json_t *who_j = json_object_get(h, name ? "name" : "role");
			agrp_buf reason = { 0 };

			/* who, whole: a name may hold a \u0000 */
			if (who != NULL)
				agrp_buf_add(&reason, json_string_value(who_j),
				             json_string_length(who_j));
			else
				agrp_buf_add(&reason, "a message", 9);
			agrp_buf_add(&reason, " said ", 6);
			agrp_buf_add(&reason, word, strlen(word));
			json_object_set_new(fin, "kind", json_string("final"));
			json_object_set_new(fin, "status", json_string("success"));
			json_object_set_new(fin, "reason", json_stringn(reason.p, reason.n));
			free(reason.p);
			json_object_set_new(fin, "cause", json_integer((json_int_t)i));
			agrp_import_put(im, fin);
			ended = true;
		}
	}
}
