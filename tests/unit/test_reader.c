/* test_reader.c - the NDJSON reader on the inputs real streams bring. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "agraph.h"
#include "tap.h"

static char dir[] = "/tmp/agraph-reader-XXXXXX";

static volatile sig_atomic_t stop;

/* Asks the reader to stop; if it does not within 5 s, fails the test
 * rather than hanging it. */
static void
on_alarm(int sig)
{
	(void)sig;
	if (stop) {
		static const char msg[] =
		    "not ok - the reader went on waiting when asked to stop\n";

		if (write(1, msg, sizeof msg - 1) < 0)
			_exit(2);
		_exit(1);
	}
	stop = 1;
	alarm(5);
}

static const char *
put(const char *name, const char *bytes, size_t len)
{
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];
	FILE *f;

	snprintf(p, 128, "%s/%s", dir, name);
	f = fopen(p, "wb");
	fwrite(bytes, 1, len, f);
	fclose(f);
	return p;
}

/* Reads every record of the files; describes each as "line:bytes" or "E line:col" */
static void
read_all(const char *const *paths, int n, size_t max, char *out, size_t outlen)
{
	agr_reader *r = agr_reader_new(paths, n, max);
	const agr_record *rec;
	agr_error e;
	int rc;
	size_t used = 0;

	out[0] = '\0';
	while ((rc = agr_reader_next(r, &rec, &e)) != 0) {
		size_t len;
		const char *b;

		if (rc < 0) {
			used += (size_t)snprintf(out + used, outlen - used, "[E %ld:%ld]", e.line,
			                         e.column);
			continue;
		}
		b = agr_record_bytes(rec, &len);
		used += (size_t)snprintf(out + used, outlen - used, "[%ld:%.*s]",
		                         agr_record_line(rec), (int)len, b);
	}
	agr_reader_free(r);
}

static void
check(const char *what, const char *bytes, size_t len, size_t max, const char *want)
{
	const char *p = put("in", bytes, len);
	char got[4096];

	read_all(&p, 1, max, got, sizeof got);
	if (!ok(strcmp(got, want) == 0, "%s", what))
		diag("got  %s\n# want %s", got, want);
}

#define CHECK(what, lit, want) check(what, lit, sizeof lit - 1, 0, want)

int
main(void)
{
	char got[4096];

	if (mkdtemp(dir) == NULL)
		return 1;
	CHECK("two records", "{\"a\":1}\n{\"b\":2}\n", "[1:{\"a\":1}][2:{\"b\":2}]");
	CHECK("original bytes are kept, spacing and all", "{ \"a\" :  1.50 }\n",
	      "[1:{ \"a\" :  1.50 }]");
	CHECK("CRLF line ends", "{\"a\":1}\r\n{\"b\":2}\r\n", "[1:{\"a\":1}][2:{\"b\":2}]");
	CHECK("no final newline", "{\"a\":1}\n{\"b\":2}", "[1:{\"a\":1}][2:{\"b\":2}]");
	CHECK("empty and blank lines are skipped but counted", "\n{\"a\":1}\n\n  \t\n{\"b\":2}\n",
	      "[2:{\"a\":1}][5:{\"b\":2}]");
	CHECK("an empty file has no records", "", "");
	CHECK("malformed JSON: line and column, then the next line",
	      "{\"a\":1}\n{\"a\":}\n{\"c\":3}\n", "[1:{\"a\":1}][E 2:6][3:{\"c\":3}]");
	CHECK("a non-object line is an error", "[1,2]\n\"x\"\n", "[E 1:1][E 2:1]");
	/* Columns point at the character at fault. */
	CHECK("duplicate keys are an error", "{\"a\":1,\"a\":2}\n", "[E 1:8]");
	CHECK("duplicate keys, one escaped, are an error", "{\"a\":1,\"\\u0061\":2}\n", "[E 1:8]");
	CHECK("duplicate keys in a nested object are an error", "{\"o\":{\"b\":1,\"b\":2}}\n",
	      "[E 1:13]");
	CHECK("a NUL byte is an error", "{\"a\":\"x\0\"}\n", "[E 1:8]");
	CHECK("\\u0000 in a string is read, as JSON allows", "{\"a\":\"x\\u0000y\"}\n",
	      "[1:{\"a\":\"x\\u0000y\"}]");
	CHECK("\\u0000 in a key is an error", "{\"a\\u0000\":1}\n", "[E 1:2]");
	CHECK("\\u0000 in a name is an error, at its value",
	      "{\"step\":1,\"tool\":\"A\\u0000B\"}\n{\"trace\":\"\\u0000\"}\n{\"t\\u0072ace\":"
	      "\"\\u0000\"}\n",
	      "[E 1:18][E 2:10][E 3:15]");
	CHECK("an escaped backslash before u0000 is no NUL", "{\"tool\":\"\\\\u0000\"}\n",
	      "[1:{\"tool\":\"\\\\u0000\"}]");
	CHECK("a step written as a real is an error, at its value",
	      "{\"step\":2.0}\n{\"a\":1,\"step\":1e3}\n{\"st\\u0065p\":-1.5E1}\n{\"step\":2}\n",
	      "[E 1:9][E 2:15][E 3:14][4:{\"step\":2}]");
	CHECK("a real elsewhere is fine", "{\"o\":{\"step\":2.0},\"steps\":1.5}\n",
	      "[1:{\"o\":{\"step\":2.0},\"steps\":1.5}]");
	CHECK("invalid UTF-8 is an error", "{\"a\":\"\xff\"}\n", "[E 1:7]");
	CHECK("an overlong UTF-8 sequence is an error", "{\"a\":\"\xc0\xaf\"}\n", "[E 1:7]");
	CHECK("a lone surrogate is an error", "{\"a\":\"\\ud800\"}\n", "[E 1:7]");
	CHECK("a surrogate pair is fine", "{\"a\":\"\\ud83d\\ude00\"}\n",
	      "[1:{\"a\":\"\\ud83d\\ude00\"}]");
	CHECK("UTF-8 counts as one column a character", "{\"\xc3\xa9\":1,}\n", "[E 1:8]");
	CHECK("an integer past 64 bits is an error", "{\"a\":99999999999999999999}\n", "[E 1:6]");
	CHECK("a real past the doubles is an error", "{\"a\":1e999}\n", "[E 1:6]");
	CHECK("numbers as JSON has them", "{\"a\":-0.5e+3,\"b\":0,\"c\":[1,2.25]}\n",
	      "[1:{\"a\":-0.5e+3,\"b\":0,\"c\":[1,2.25]}]");
	CHECK("a leading zero is an error", "{\"a\":01}\n", "[E 1:7]");
	CHECK("a bare word is an error", "{\"a\":nope}\n", "[E 1:6]");
	CHECK("trailing garbage is an error", "{\"a\":1} x\n", "[E 1:9]");
	check("a line past the limit is an error; the next line is read",
	      "{\"a\":\"xxxxxxxxxxxxxxx\"}\n{\"b\":1}\n", 32, 16, "[E 1:0][2:{\"b\":1}]");
	check("a last line past the limit, without newline",
	      "{\"b\":1}\n{\"a\":\"xxxxxxxxxxxxxxx\"}", 31, 16, "[1:{\"b\":1}][E 2:0]");

	{
		/* A line longer than the read chunk, under the limit. */
		size_t n = 200000;
		char *big = malloc(n + 16);

		memcpy(big, "{\"a\":\"", 6);
		memset(big + 6, 'x', n);
		memcpy(big + 6 + n, "\"}\n{}\n", 6);
		{
			const char *p = put("big", big, n + 12);
			agr_reader *r = agr_reader_new(&p, 1, 0);
			const agr_record *rec;
			agr_error e;
			size_t len;
			int a = agr_reader_next(r, &rec, &e);

			agr_record_bytes(rec, &len);
			ok(a == 1 && len == n + 8 && agr_reader_next(r, &rec, &e) == 1 &&
			       agr_reader_next(r, &rec, &e) == 0,
			   "a 200 kB line is read whole");
			agr_reader_free(r);
		}
		free(big);
	}
	{
		/* Keys past any buffer of the scan's, one spelled with an escape. */
		char line[1400], k[601];

		memset(k, 'k', 600);
		k[600] = '\0';
		snprintf(line, sizeof line, "{\"%s\":1,\"%.599s\\u006b\":2}\n", k, k);
		check("duplicate keys of 600 bytes, one escaped, are an error", line, strlen(line),
		      0, "[E 1:607]");
		snprintf(line, sizeof line, "{\"%s\":1,\"%.599s\\u006a\":2}\n", k, k);
		snprintf(got, sizeof got, "[1:%.*s]", (int)strlen(line) - 1, line);
		check("keys of 600 bytes that differ in the last, escaped, are two keys", line,
		      strlen(line), 0, got);
	}
	{
		const char *paths[3];
		agr_reader *r;
		const agr_record *rec;
		agr_error e;

		paths[0] = put("one", "{\"f\":1}\n", 8);
		paths[1] = "/nonexistent/agraph";
		paths[2] = put("two", "{\"f\":2}", 7);
		read_all(paths, 3, 0, got, sizeof got);
		ok(strcmp(got, "[1:{\"f\":1}][E 0:0][1:{\"f\":2}]") == 0,
		   "several files in a row; a missing one is an error and the next is read (%s)",
		   got);
		r = agr_reader_new(paths, 3, 0);
		agr_reader_next(r, &rec, &e);
		ok(strcmp(agr_record_source(rec), paths[0]) == 0, "a record knows its file");
		agr_reader_next(r, &rec, &e);
		ok(strcmp(e.source, paths[1]) == 0 && strstr(e.text, "No such file") != NULL,
		   "the error names the missing file");
		agr_reader_free(r);
	}
	{
		agr_error e;
		const char *p = put("err", "\n\n{\"a\":tru}\n", 12);
		agr_reader *r = agr_reader_new(&p, 1, 0);
		const agr_record *rec;

		agr_reader_next(r, &rec, &e);
		ok(strcmp(e.source, p) == 0 && e.line == 3 && e.column > 0 && e.text[0] != '\0',
		   "an error carries source, line, column and text");
		agr_reader_free(r);
	}
	{
		/* A reader asked to stop while it waits for input that does not
		 * come: the signal's handler restarts reads (SA_RESTART). */
		int fds[2];
		char path[64];
		const char *p = path;
		struct sigaction sa;
		struct itimerval tenth = { { 0, 0 }, { 0, 100000 } };
		agr_reader *r;
		const agr_record *rec;
		agr_error e;
		int a, b, c;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
		if (pipe(fds) != 0 || write(fds[1], "{\"a\":1}\n{\"b\":", 13) != 13)
			return 1;
		snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
		r = agr_reader_new(&p, 1, 0);
		agr_reader_stop_on(r, &stop);
		a = agr_reader_next(r, &rec, &e);
		setitimer(ITIMER_REAL, &tenth, NULL);
		b = agr_reader_next(r, &rec, &e);
		alarm(0);
		c = agr_reader_next(r, &rec, &e);
		ok(a == 1 && b == 0 && c == 0,
		   "a reader asked to stop while it waits ends as at the end of its input (%d %d "
		   "%d)",
		   a, b, c);
		agr_reader_free(r);
		close(fds[0]);
		close(fds[1]);
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
