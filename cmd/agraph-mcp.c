/*
 * agraph-mcp - between an MCP client and the server it would start:
 * record the session, inject faults live, govern each tools/call.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agraph_fe.h"

static const char usage[] =
    "usage: agraph-mcp [--record file [--append]] [--trace id] [--govern policy]\n"
    "                  [-f fault[:key=value,...]] [--spec file] [--seed n]\n"
    "                  [--max-message bytes] [--grace ms] -- server [arg ...]\n";

enum {
	OPT_RECORD = 256,
	OPT_APPEND,
	OPT_TRACE,
	OPT_GOVERN,
	OPT_SEED,
	OPT_MAX_MESSAGE,
	OPT_GRACE,
};

static const struct option longopts[] = {
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "append", no_argument, NULL, OPT_APPEND },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "govern", required_argument, NULL, OPT_GOVERN },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "max-message", required_argument, NULL, OPT_MAX_MESSAGE },
	{ "grace", required_argument, NULL, OPT_GRACE },
	AGR_FE_FAULT_LONGOPTS,
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void
report(void *ctx, const agr_error *e)
{
	(void)ctx;
	agr_fe_error(e);
}

int
main(int argc, char **argv)
{
	const char *record = NULL, *policy = NULL;
	agr_mcp_opts o = { .client_in = 0, .client_out = 1, .on_error = report };
	agr_fe_faults given = { 0 };
	uint64_t seed = 0;
	bool append = false;
	agr_error e;
	int c, status;

	agr_fe_init(argv, usage);
	/* "+": the server's own options are not ours */
	while ((c = getopt_long(argc, argv, "+f:h", longopts, NULL)) != -1) {
		if (agr_fe_faults_option(&given, c, optarg))
			continue;
		switch (c) {
		case OPT_RECORD:
			record = optarg;
			break;
		case OPT_APPEND:
			append = true;
			break;
		case OPT_TRACE: {
			json_t *valid = json_string(optarg); /* NULL: not UTF-8 */

			if (valid == NULL)
				errx(2, "--trace: '%s' is not valid UTF-8", optarg);
			json_decref(valid);
			o.trace = optarg;
			break;
		}
		case OPT_GOVERN:
			policy = optarg;
			break;
		case OPT_SEED:
			seed = agr_fe_number("--seed", optarg);
			break;
		case OPT_MAX_MESSAGE:
			o.max_message = (size_t)agr_fe_number("--max-message", optarg);
			if (o.max_message == 0)
				agr_fe_usage("--max-message: at least 1 byte");
			break;
		case OPT_GRACE:
			o.grace_ms = (long)agr_fe_number("--grace", optarg);
			if (o.grace_ms == 0 || o.grace_ms > 3600000)
				agr_fe_usage("--grace: from 1 to 3600000 milliseconds");
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	if (optind >= argc)
		agr_fe_usage("no server given (-- SERVER [ARG ...])");
	if (append && record == NULL)
		agr_fe_usage("--append: with --record");
	o.argv = (const char *const *)argv + optind;
	o.argc = (size_t)(argc - optind);
	if (policy != NULL && (o.governor = agr_governor_load_file(policy, &e)) == NULL) {
		agr_fe_error(&e);
		return 2;
	}
	if (agr_fe_faults_given(&given)) {
		o.faults = agr_injector_new(seed, NULL, NULL);
		agr_injector_live_answers(o.faults);
		agr_fe_faults_add(&given, o.faults);
	}
	if (record != NULL && (o.record = fopen(record, append ? "a" : "w")) == NULL) {
		warn("%s", record);
		agr_governor_free(o.governor);
		agr_injector_free(o.faults);
		return 2;
	}
	o.record_name = record;
	o.stop = agr_fe_catch_stop();
	status = agr_mcp_run(&o, &e);
	if (status == 2)
		agr_fe_error(&e);
	if (o.record != NULL && fclose(o.record) != 0 && status != 2) {
		warn("%s", record);
		status = 2;
	}
	agr_governor_free(o.governor);
	agr_injector_free(o.faults);
	return agr_fe_exit(status);
}
