/*
 * test_names.c - the names of record kinds, statuses and fault kinds:
 * one enum per kind of value, every value named as records spell it, and
 * a value outside an enum answered with NULL, not read past a table.
 */
#include <string.h>

#include "agraph.h"
#include "tap.h"

static int
same(const char *got, const char *want)
{
	return got != NULL && strcmp(got, want) == 0;
}

int
main(void)
{
	static const char *const kinds[] = { "route",   "call",   "result",   "health",
		                             "reroute", "demote", "escalate", "final",
		                             "fault",   "model",  "message",  "govern" };
	static const char *const results[] = { "ok", "error", "timeout" };
	static const char *const finals[] = { "success", "demoted", "escalated",
		                              "failure", "unknown", "crashed" };
	static const char *const faults[] = { "error", "timeout", "down" };
	int bad = 0;
	agr_fault_kind fk;

	for (int i = 0; i < 12; i++)
		bad += !same(agr_kind_name((agr_kind)i), kinds[i]);
	ok(bad == 0, "agr_kind_name names all twelve kinds");
	ok(agr_kind_name((agr_kind)12) == NULL && agr_kind_name((agr_kind)-1) == NULL,
	   "agr_kind_name is NULL outside the enum");

	bad = 0;
	for (int i = 0; i < 3; i++)
		bad += !same(agr_result_status_name((agr_result_status)i), results[i]);
	ok(bad == 0 && agr_result_status_name((agr_result_status)3) == NULL &&
	       agr_result_status_name((agr_result_status)-1) == NULL,
	   "result statuses: ok, error, timeout, and NULL outside");

	ok(same(agr_health_status_name(AGR_HEALTH_UP), "up") &&
	       same(agr_health_status_name(AGR_HEALTH_DOWN), "down") &&
	       agr_health_status_name((agr_health_status)2) == NULL &&
	       agr_health_status_name((agr_health_status)-7) == NULL,
	   "health statuses: up, down, and NULL outside");

	bad = 0;
	for (int i = 0; i < 6; i++)
		bad += !same(agr_final_status_name((agr_final_status)i), finals[i]);
	ok(bad == 0 && agr_final_status_name((agr_final_status)6) == NULL &&
	       agr_final_status_name((agr_final_status)1000000) == NULL,
	   "final statuses: success, demoted, escalated, failure, unknown, crashed, and NULL "
	   "outside");

	bad = 0;
	for (int i = 0; i < 3; i++) {
		bad += !same(agr_fault_kind_name((agr_fault_kind)i), faults[i]);
		bad += !agr_fault_kind_from_name(faults[i], &fk) || fk != (agr_fault_kind)i;
	}
	ok(bad == 0 && agr_fault_kind_name((agr_fault_kind)3) == NULL,
	   "fault kinds: error, timeout, down, both ways, and NULL outside");
	ok(!agr_fault_kind_from_name("ok", &fk) && !agr_fault_kind_from_name("", &fk) &&
	       !agr_fault_kind_from_name("Error", &fk) && !agr_fault_kind_from_name(NULL, &fk),
	   "agr_fault_kind_from_name refuses what is not a fault kind");
	return done_testing();
}
