/*
 * agraph-govern - allow, rewrite or block each call of a trace by policy.
 */
#include <getopt.h>
#include <stdlib.h>

#include "agraph_fe.h"

static const char usage[] = "usage: agraph-govern [-u] [--audit] -p policy [file ...]\n";

enum { OPT_AUDIT = 256 };

static const struct option longopts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "audit", no_argument, NULL, OPT_AUDIT },
	{ "unbuffered", no_argument, NULL, 'u' },
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

typedef struct governing {
	agr_governor *gv;
	bool unbuffered;
} governing;

static bool
feed(void *ctx, const agr_record *rec)
{
	governing *g = ctx;
	agr_error e;

	if (agr_governor_feed(g->gv, rec, agr_fe_write, &g->unbuffered, &e))
		return true;
	agr_fe_record_error(&e, rec);
	return false;
}

int
main(int argc, char **argv)
{
	const char *policy = NULL;
	governing g = { NULL, false };
	bool audit = false;
	agr_error e;
	int c, status;

	agr_fe_init(argv, usage);
	while ((c = agr_fe_getopt(argc, argv, "p:uh", longopts, NULL, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (policy != NULL)
				agr_fe_usage("-p: one policy, given once");
			policy = optarg;
			break;
		case OPT_AUDIT:
			audit = true;
			break;
		case 'u':
			g.unbuffered = true;
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	if (policy == NULL)
		agr_fe_usage("no policy given (-p FILE)");
	if ((g.gv = agr_governor_load_file(policy, &e)) == NULL) {
		agr_fe_error(&e);
		return agr_fe_exit(2);
	}
	if (audit)
		agr_governor_audit(g.gv);
	status = agr_fe_each_record(argv + optind, argc - optind, feed, &g);
	agr_governor_free(g.gv);
	return agr_fe_exit(status);
}
