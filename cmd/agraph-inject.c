/*
 * agraph-inject - deterministic, seeded fault injection into traces.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agraph_fe.h"

static const char usage[] =
    "usage: agraph-inject [-u] [-f fault[:key=value,...]] [--spec file] [--seed n]\n"
    "                     [--quiet-faults] [--manifest file] [--rewrite-cmd command]\n"
    "                     [file ...]\n"
    "       agraph-inject --list\n";

enum { OPT_SEED = 256, OPT_QUIET, OPT_MANIFEST, OPT_LIST, OPT_REWRITE };

static const struct option longopts[] = {
	AGR_FE_FAULT_LONGOPTS,
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "quiet-faults", no_argument, NULL, OPT_QUIET },
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "rewrite-cmd", required_argument, NULL, OPT_REWRITE },
	{ "unbuffered", no_argument, NULL, 'u' },
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void
to_manifest(void *ctx, const char *bytes, size_t len)
{
	FILE *f = ctx;

	if (fwrite(bytes, 1, len, f) != len || putc('\n', f) == EOF)
		err(2, "manifest");
}

static bool
feed(void *ctx, const agr_record *rec)
{
	agr_error e;

	if (agr_injector_feed(ctx, rec, &e))
		return true;
	agr_fe_record_error(&e, rec);
	return false;
}

int
main(int argc, char **argv)
{
	const char *manifest = NULL, *rewrite = NULL;
	agr_fe_faults faults = { 0 };
	int c, status;
	uint64_t seed = 0;
	bool quiet = false, unbuffered = false;
	agr_injector *in;
	FILE *mf = NULL;

	agr_fe_init(argv, usage);
	while ((c = agr_fe_getopt(argc, argv, "f:uh", longopts, NULL, NULL)) != -1) {
		if (agr_fe_faults_option(&faults, c, optarg))
			continue;
		switch (c) {
		case OPT_SEED:
			seed = agr_fe_number("--seed", optarg);
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_MANIFEST:
			manifest = optarg;
			quiet = true;
			break;
		case OPT_LIST:
			agr_inject_list(stdout);
			return agr_fe_exit(0);
		case OPT_REWRITE:
			rewrite = optarg;
			break;
		case 'u':
			unbuffered = true;
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	in = agr_injector_new(seed, agr_fe_write, &unbuffered);
	if (rewrite != NULL)
		agr_injector_rewrite_cmd(in, rewrite);
	agr_fe_faults_add(&faults, in);
	if (manifest != NULL && (mf = fopen(manifest, "w")) == NULL) {
		int e = errno;

		agr_injector_free(in); /* nothing left behind for a leak checker */
		errno = e;
		err(2, "%s", agr_text(manifest, true));
	}
	if (quiet)
		agr_injector_quiet(in, mf ? to_manifest : NULL, mf);
	status = agr_fe_each_record(argv + optind, argc - optind, feed, in);
	agr_injector_finish(in);
	agr_injector_free(in);
	if (mf != NULL && fclose(mf) != 0)
		err(2, "%s", agr_text(manifest, true));
	return agr_fe_exit(status);
}
