# gen.sh - generators the cases share, for the inputs too big to store:
# a case's cmd sources it (". ../gen.sh").  Each area names its own
# functions: gen_record_* for the record layer, gen_route_* for graphs
# and the router, gen_expr_* for expressions, ...

# gen_record_digits N [D]: N digits D (default 9), no newline.
gen_record_digits() {
	# In blocks: appending to one awk string is quadratic (4M digits took minutes).
	awk -v n="$1" -v d="${2:-9}" 'BEGIN { b = ""; for (i = 0; i < 4096; i++) b = b d
		for (; n >= 4096; n -= 4096) printf "%s", b
		printf "%s", substr(b, 1, n) }'
}

# gen_record_keys N [PREFIX] [FIRST]: N keys "PREFIXi":i, comma-separated,
# i from FIRST (default 0); no braces, no newline.  PREFIX is taken byte
# for byte: '\u006b' spells k with an escape.
gen_record_keys() {
	P=${2:-k} awk -v n="$1" -v f="${3:-0}" 'BEGIN { p = ENVIRON["P"]; for (i = f; i < f + n; i++) printf "%s\"%s%d\":%d", (i > f ? "," : ""), p, i, i }'
}

# gen_record_run [MEMBERS]: a run of customer-support.yaml in which
# Stripe fails (trace t, 13 records); MEMBERS (JSON text, byte for byte)
# are added to its fifth record, Stripe's failed result.  In bash alone:
# MEMBERS may be megabytes, more than an argument or the environment of
# a program can hold.
gen_record_run() {
	local m=${1:+,$1} line n=0

	while IFS= read -r line; do
		n=$((n + 1))
		[ $n = 5 ] && line="${line%\}}$m}"
		printf '%s\n' "$line"
	done <<'RUN'
{"trace":"t","step":1,"kind":"route","path":["Start","CRM","Stripe","Email","Complete"],"cost":0.8}
{"trace":"t","step":2,"kind":"call","tool":"CRM","id":"c1"}
{"trace":"t","step":3,"kind":"result","tool":"CRM","call":"c1","status":"ok"}
{"trace":"t","step":4,"kind":"call","tool":"Stripe","id":"c2"}
{"trace":"t","step":5,"kind":"result","tool":"Stripe","call":"c2","status":"error","error":{"class":"unavailable","message":"Stripe failed","retryable":false}}
{"trace":"t","step":6,"kind":"reroute","tool":"Stripe","path":["CRM","Razorpay","Email","Complete"],"cost":0.9,"cause":5}
{"trace":"t","step":7,"kind":"call","tool":"Razorpay","id":"c3"}
{"trace":"t","step":8,"kind":"result","tool":"Razorpay","call":"c3","status":"ok"}
{"trace":"t","step":9,"kind":"call","tool":"Email","id":"c4"}
{"trace":"t","step":10,"kind":"result","tool":"Email","call":"c4","status":"ok"}
{"trace":"t","step":11,"kind":"call","tool":"Complete","id":"c5"}
{"trace":"t","step":12,"kind":"result","tool":"Complete","call":"c5","status":"ok"}
{"trace":"t","step":13,"kind":"final","status":"success","path":["Start","CRM","Razorpay","Email","Complete"]}
RUN
}

# gen_record_runs N: N runs of gen_record_run, traces t1 to tN.
gen_record_runs() {
	local run i

	run=$(gen_record_run)
	for ((i = 1; i <= $1; i++)); do
		printf '%s\n' "${run//\"trace\":\"t\"/\"trace\":\"t$i\"}"
	done
}

# gen_whole_json FILE: whether every line of FILE is whole JSON ending in a
# newline, or the torn end.
gen_whole_json() {
	if jq -c . "$1" >/dev/null 2>&1 && [ -z "$(tail -c 1 "$1" | tr -d '\n')" ]; then
		echo "every line is whole JSON"
	else
		echo "a line is torn: $(tail -c 80 "$1")"
	fi
}

# gen_record_stop SIGNAL RUNS [busy] COMMAND...: COMMAND reads RUNS runs
# (gen_record_runs) from a FIFO kept open, as from a producer that has
# more to say, and is sent SIGNAL once it has read them all and waits for
# more; with busy, while it is still reading them, the producer writing
# them again and again as fast as it can.  A fifth of a second after the
# signal the input ends.  Prints COMMAND's exit status, how many lines it
# wrote (not with busy: that depends on when the signal came) and whether
# each of them is whole JSON ending in a newline; then its stderr.
gen_record_stop() {
	local sig=$1 runs=$2
	shift 2
	gen_stop "gen_record_runs $runs" "$sig" "$@"
}

# gen_stop INPUT SIGNAL [busy] COMMAND...: as gen_record_stop, but the
# input is what the command INPUT writes (a generator and its arguments:
# "gen_interop_openai 300"); with GEN_STOP_RUN=N set and busy, it also
# says whether the output is whole runs of N lines.
gen_stop() {
	local input=$1 sig=$2 busy= dir pid status
	shift 2
	[ "$1" = busy ] && busy=1 && shift
	dir=$(mktemp -d)
	$input >"$dir/in.ndjson"
	mkfifo "$dir/fifo"
	# In a job of its own, which does not ignore SIGINT; the shell's word
	# on its jobs goes to /dev/null.
	{
		set -m
		"$@" <"$dir/fifo" >"$dir/out" 2>"$dir/err" &
		pid=$!
		exec 3>"$dir/fifo"
		if [ -n "$busy" ]; then
			{ while cat "$dir/in.ndjson"; do :; done >&3; } &
			sleep 0.3
		else
			cat "$dir/in.ndjson" >&3
			gen_record_asleep "$pid"
		fi
		kill -"$sig" "$pid"
		# The end of the input, for a program that ignores the signal
		sleep 0.2
		exec 3>&-
		wait "$pid"
		status=$?
		wait
		set +m
	} 2>/dev/null
	echo "status $status"
	[ -z "$busy" ] && echo "lines $(wc -l <"$dir/out")"
	gen_whole_json "$dir/out"
	[ -n "$busy" ] && [ -n "${GEN_STOP_RUN:-}" ] &&
		[ "$(($(wc -l <"$dir/out") % GEN_STOP_RUN))" = 0 ] && echo "every run is whole"
	cat "$dir/err"
	rm -rf "$dir"
}

# gen_record_asleep PID: waits (10 s at most) until process PID sleeps,
# twice in a row a tenth of a second apart: a filter that has read all
# there was and waits for more.
gen_record_asleep() {
	local i

	for ((i = 0; i < 100; i++)); do
		[ "$(awk '{ print $3 }' "/proc/$1/stat")" = S ] && sleep 0.1 &&
			[ "$(awk '{ print $3 }' "/proc/$1/stat")" = S ] && return 0
		sleep 0.05
	done
}

# gen_route_chain N COST [NAME]: a graph whose one path is a chain of N
# edges of COST each, from S through N1, N2, ... to G.
gen_route_chain() {
	awk -v n="$1" -v c="$2" -v name="${3:-chain}" 'BEGIN {
		printf "graph: %s\nstart: S\ngoal: G\nedges:\n", name
		prev = "S"
		for (i = 1; i < n; i++) {
			printf "  - [%s, N%d, %s]\n", prev, i, c
			prev = "N" i
		}
		printf "  - [%s, G, %s]\n", prev, c
	}'
}

# gen_route_fanout K: a graph whose start S has K + 1 edges out, to T0 ..
# T(K-1) and Z (the last by name), each of cost 1 and on to the goal G.
gen_route_fanout() {
	awk -v n="$1" 'BEGIN { print "start: S\ngoal: G\nedges:\n  - [S, Z, 1]\n  - [Z, G, 1]"
		for (i = 0; i < n; i++) printf "  - [S, T%d, 1]\n  - [T%d, G, 1]\n", i, i }'
}

# gen_route_fanout_fail K: the options that fail T0 .. T(K-1), one --fail
# for each 10,000 (an argument holds at most 128 KiB), one a line.
gen_route_fanout_fail() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%sT%d", (i % 10000 ? "," : (i ? "\n--fail\n" : "--fail\n")), i
		print "" }'
}

# gen_route_coproc GRAPH ANSWER [OPTION...]: agraph-route --coproc OPTION...
# GRAPH with a bash coproc as the executor.  Every record the router
# writes is printed; for each call, the shell function ANSWER runs with the
# call's id and tool, its standard output going to the router.  The
# router's exit status is printed last, as "exit N".
gen_route_coproc() {
	local graph=$1 answer=$2 rec id tool in out pid
	shift 2
	coproc R { agraph-route --coproc "$@" "$graph"; }
	pid=$R_PID
	exec {in}<&"${R[0]}" {out}>&"${R[1]}"
	while IFS= read -r rec <&"$in"; do
		printf '%s\n' "$rec"
		case $rec in *'"kind":"call"'*)
			id=$(sed 's/.*"id":"\([^"]*\)".*/\1/' <<<"$rec")
			tool=$(sed 's/.*"tool":"\([^"]*\)".*/\1/' <<<"$rec")
			"$answer" "$id" "$tool" >&"$out"
			;;
		esac
	done
	exec {out}>&- {in}<&-
	wait "$pid"
	echo "exit $?"
}

# gen_expr_repeat N STR: STR N times, no newline (STR without backslashes).
gen_expr_repeat() {
	awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'
}

# gen_expr_nest N OPEN CLOSE INNER: INNER inside N OPENs and N CLOSEs.
gen_expr_nest() {
	gen_expr_repeat "$1" "$2"
	printf '%s' "$4"
	gen_expr_repeat "$1" "$3"
}

# gen_expr_contract PATTERN EXPR: a contract file with one contract x whose
# PATTERN (always, never, eventually) is EXPR (written without ').
gen_expr_contract() {
	printf 'contracts:\n  - name: x\n    %s: '\''%s'\''\n' "$1" "$2"
}

# gen_expr_graph EXPR: a graph A -> B -> C whose monitor m escalates when
# EXPR holds (written without ').
gen_expr_graph() {
	printf 'graph: g\nstart: A\ngoal: C\nedges:\n  - [A, B, 1]\n  - [B, C, 1]\n'
	printf 'monitors:\n  - name: m\n    when: '\''%s'\''\n    then: escalate\n' "$1"
}

# gen_expr_faults EXPR: a fault spec file: error on the records where EXPR holds.
gen_expr_faults() {
	printf 'faults:\n  - fault: error\n    where: '\''%s'\''\n' "$1"
}

# gen_expr_long_strings N: a result record whose args.a is N a's and args.b
# N/2 a's then a b: the worst case of a substring search that compares at
# each position.
gen_expr_long_strings() {
	awk -v n="$1" 'BEGIN {
		printf "{\"trace\":\"t\",\"step\":1,\"kind\":\"result\",\"tool\":\"x\",\"call\":\"c1\",\"status\":\"ok\",\"args\":{\"a\":\""
		for (i = 0; i < n; i++) printf "a"
		printf "\",\"b\":\""
		for (i = 0; i < n / 2; i++) printf "a"
		printf "b\"}}\n" }'
}

# gen_expr_wide_objects N: a result record whose args.a and args.b are one
# object of N keys, written in opposite orders.
gen_expr_wide_objects() {
	awk -v n="$1" 'BEGIN {
		printf "{\"trace\":\"t\",\"step\":1,\"kind\":\"result\",\"tool\":\"x\",\"call\":\"c1\",\"status\":\"ok\",\"args\":{\"a\":{"
		for (i = 0; i < n; i++) printf "%s\"k%d\":%d", i ? "," : "", i, i
		printf "},\"b\":{"
		for (i = n - 1; i >= 0; i--) printf "\"k%d\":%d.0%s", i, i, i ? "," : ""
		printf "}}}\n" }'
}

# gen_check_open N [TOOLS]: one trace with N calls open at once, then
# their results in the order of the calls (the oldest first); the calls
# go to TOOLS distinct tools (default 1) in turn, and every result names
# its call only, not its tool.  STATUS (default ok) is every result's.
gen_check_open() {
	awk -v n="$1" -v tools="${2:-1}" -v status="${STATUS:-ok}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T%d\",\"id\":\"c%d\",\"args\":{\"n\":%d}}\n", i, i % tools, i, i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"call\":\"c%d\",\"status\":\"%s\"}\n", n + i, i, status
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"failure\"}\n", 2 * n + 1
	}'
}

# gen_check_closing N: the same calls and results, each result right after
# its call: what the open ones are measured against.
gen_check_closing() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T0\",\"id\":\"c%d\",\"args\":{\"n\":%d}}\n", 2 * i - 1, i, i
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"call\":\"c%d\",\"status\":\"ok\"}\n", 2 * i, i
		}
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"failure\"}\n", 2 * n + 1
	}'
}

# gen_check_failures N: one trace with failed results of N distinct tools,
# then a retry of each tool, then a final success.
gen_check_failures() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"T%d\",\"call\":\"c%d\",\"status\":\"error\"}\n", i, i, i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T%d\",\"id\":\"d%d\"}\n", n + i, i, i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"T%d\",\"call\":\"d%d\",\"status\":\"ok\"}\n", 2 * n + i, i, i
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"success\"}\n", 3 * n + 1
	}'
}

# --- interop (h-interop)

# gen_interop_late: gen_record_run (trace t), then after its final a call
# of Email and its failed result, class late.
gen_interop_late() {
	gen_record_run
	printf '%s\n' '{"trace":"t","step":14,"kind":"call","tool":"Email","id":"c6"}' \
		'{"trace":"t","step":15,"kind":"result","tool":"Email","call":"c6","status":"error","error":{"class":"late","message":"after the final","retryable":false}}'
}

# gen_interop_ended N: trace t0 ends at step 1, then N traces t1 to tN of
# one final record each end after it, then a message of t0 at step 2.
gen_interop_ended() {
	awk -v n="$1" 'BEGIN {
		print "{\"trace\":\"t0\",\"step\":1,\"kind\":\"final\",\"status\":\"success\"}"
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t%d\",\"step\":1,\"kind\":\"final\",\"status\":\"success\"}\n", i
		print "{\"trace\":\"t0\",\"step\":2,\"kind\":\"message\"}"
	}'
}

# gen_interop_long_error N: gen_record_run with Stripe's error class N
# times "a" then "é", and its message 1000 times "m" then "é".
gen_interop_long_error() {
	local cls msg
	cls=$(gen_expr_repeat "$1" a)é msg=$(gen_expr_repeat 1000 m)é
	gen_record_run | sed "s/\"class\":\"unavailable\",\"message\":\"Stripe failed\"/\"class\":\"$cls\",\"message\":\"$msg\"/"
}

# gen_interop_openai N: N OpenAI runs, one a line (ids r1 to rN), each a
# message, a call and its result: 3 records a run once imported.
gen_interop_openai() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"id\":\"r%d\",\"messages\":[{\"role\":\"user\",\"content\":\"refund %d\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"function\":{\"name\":\"Stripe\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}]}\n", i, i
	}'
}

# gen_interop_stop INPUT SIGNAL [busy] COMMAND...: gen_stop, whose output
# is whole runs of three lines.
gen_interop_stop() {
	GEN_STOP_RUN=3 gen_stop "$@"
}

# gen_interop_coproc_stop SIGNAL [busy] GRAPH: agraph-route --coproc GRAPH
# whose executor never answers: its input is a FIFO kept open, and it is
# sent SIGNAL once it waits for the first call's result; with busy, while
# health records of the graph's first tool flood in.  Prints its exit
# status, whether every line is whole JSON, its last record's kind,
# status and reason, and its stderr.
gen_interop_coproc_stop() {
	local sig=$1 busy= dir pid status tool
	shift
	[ "$1" = busy ] && busy=1 && shift
	dir=$(mktemp -d)
	mkfifo "$dir/fifo"
	{
		set -m
		agraph-route --coproc "$1" <"$dir/fifo" >"$dir/out" 2>"$dir/err" &
		pid=$!
		exec 3>"$dir/fifo"
		if [ -n "$busy" ]; then
			sleep 0.2
			tool=$(jq -r 'select(.kind == "call") | .tool' "$dir/out")
			{ yes "{\"kind\":\"health\",\"tool\":\"$tool\",\"status\":\"up\"}" >&3; } &
			sleep 0.3
		else
			gen_record_asleep "$pid"
		fi
		kill -"$sig" "$pid"
		sleep 0.2
		exec 3>&-
		wait "$pid"
		status=$?
		kill %2 2>/dev/null
		wait
		set +m
	} 2>/dev/null
	echo "status $status"
	gen_whole_json "$dir/out"
	tail -n 1 "$dir/out" | jq -c '[.kind, .status, .reason]' 2>/dev/null
	cat "$dir/err"
	rm -rf "$dir"
}

# gen_interop_otel N: gen_record_runs N exported as OTLP/JSON, a line a trace.
gen_interop_otel() {
	gen_record_runs "$1" | agraph-trace export otel
}

# --- check (h-check)

# gen_check_unfinished N: N traces that never end (no final), two records
# each, interleaved: every trace's first record, then every trace's
# second; ids u0..u(N-1) in a scrambled order, so that the order by id
# that grep --whole-trace and stats give at the end is a real sort.
gen_check_unfinished() {
	awk -v n="$1" 'BEGIN {
		for (s = 1; s <= 2; s++)
			for (i = 0; i < n; i++) {
				k = (i * 7919) % n
				printf "{\"trace\":\"u%d\",\"step\":%d,\"kind\":\"%s\",\"tool\":\"T\",\"id\":\"c%d\"}\n", k, s, s == 1 ? "message" : "call", k
			}
	}'
}

# gen_check_contracts N [NAME]: a contract file of N contracts c0..c(N-1),
# each "always: step >= 0"; then, when NAME is given, one more named NAME.
gen_check_contracts() {
	awk -v n="$1" -v last="$2" 'BEGIN {
		print "contracts:"
		for (i = 0; i < n; i++)
			printf "  - name: c%d\n    always: \"step >= 0\"\n", i
		if (last != "")
			printf "  - name: %s\n    always: \"step >= 0\"\n", last
	}'
}

# gen_check_hostile_id: the trace id that tries to forge output: a line
# end, a message of its own, a terminal escape (ESC [31m), a CR and a tab.
gen_check_hostile_id() {
	printf '%s' 'a\nagraph-trace: -:1: forged\u001b[31m\r\tz'
}

# gen_check_late N ID: trace ID (JSON text, unquoted) ends, N other
# traces end, then ID goes on with a call of tool ID: past 4095 others,
# its verdicts are out and the record is an error that names it.
gen_check_late() {
	I=$2 awk -v n="$1" 'BEGIN {
		id = ENVIRON["I"]
		printf "{\"trace\":\"%s\",\"step\":1,\"kind\":\"final\",\"status\":\"success\"}\n", id
		for (i = 1; i <= n; i++) printf "{\"trace\":\"t%d\",\"step\":1,\"kind\":\"final\",\"status\":\"success\"}\n", i
		printf "{\"trace\":\"%s\",\"step\":2,\"kind\":\"call\",\"tool\":\"%s\",\"id\":\"%s\"}\n", id, id, id
	}'
}

# gen_check_open_calls N ID: trace ID (JSON text, unquoted) with N calls
# of tool ID, ids ID1..IDN, none answered.
gen_check_open_calls() {
	I=$2 awk -v n="$1" 'BEGIN {
		id = ENVIRON["I"]
		for (i = 1; i <= n; i++) printf "{\"trace\":\"%s\",\"step\":%d,\"kind\":\"call\",\"tool\":\"%s\",\"id\":\"%s%d\"}\n", id, i, id, id, i
	}'
}

# gen_check_same_id N: N calls open at once, all with the call id c, of
# tools T1..TN, then their results in order (call c, tool Ti), then a final.
gen_check_same_id() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T%d\",\"id\":\"c\"}\n", i, i
		for (i = 1; i <= n; i++) printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"T%d\",\"call\":\"c\",\"status\":\"ok\"}\n", n + i, i
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"success\"}\n", 2 * n + 1
	}'
}

# gen_check_deep N OPEN CLOSE: trace d with two calls of T whose args are
# 1 inside N OPENs and N CLOSEs (gen_expr_nest), then a final.
gen_check_deep() {
	local s
	for s in 1 2; do
		printf '{"trace":"d","step":%d,"kind":"call","tool":"T","id":"c%d","args":' $s $s
		gen_expr_nest "$1" "$2" "$3" 1
		printf '}\n'
	done
	printf '{"trace":"d","step":3,"kind":"final","status":"success"}\n'
}

# gen_check_ended N: N traces t0..t(N-1) of a call, its result and a
# final, one after the other.
gen_check_ended() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "{\"trace\":\"t%d\",\"step\":1,\"kind\":\"call\",\"tool\":\"T\",\"id\":\"c\"}\n", i
			printf "{\"trace\":\"t%d\",\"step\":2,\"kind\":\"result\",\"call\":\"c\",\"status\":\"ok\"}\n", i
			printf "{\"trace\":\"t%d\",\"step\":3,\"kind\":\"final\",\"status\":\"success\"}\n", i
		}
	}'
}

# gen_check_chain N [rev]: trace t of N messages, each caused by the one
# before (step i, cause i-1); with rev, written from the last step down.
gen_check_chain() {
	awk -v n="$1" -v rev="$2" 'BEGIN {
		for (k = 1; k <= n; k++) {
			i = rev == "rev" ? n + 1 - k : k
			if (i == 1) printf "{\"trace\":\"t\",\"step\":1,\"kind\":\"message\"}\n"
			else printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"message\",\"cause\":%d}\n", i, i - 1
		}
	}'
}

# --- inject/replay/stress (h-inject)

# gen_inject_interleaved N [ORDER]: N traces of three records each (call,
# result, final), interleaved: every trace's call, then every result, then
# every final; ORDER=reverse (default) ends them newest first, so that the
# trace to end is always the last one of those open.
gen_inject_interleaved() {
	awk -v n="$1" -v order="${2:-reverse}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t%d\",\"step\":1,\"kind\":\"call\",\"tool\":\"T\",\"id\":\"c\"}\n", i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t%d\",\"step\":2,\"kind\":\"result\",\"tool\":\"T\",\"call\":\"c\",\"status\":\"ok\"}\n", i
		for (k = 1; k <= n; k++) {
			i = order == "reverse" ? n + 1 - k : k
			printf "{\"trace\":\"t%d\",\"step\":3,\"kind\":\"final\",\"status\":\"success\"}\n", i
		}
	}'
}

# gen_inject_calls N [ORDER]: one trace of N calls, steps 1..N, and its
# final at N+1; ORDER=down writes the calls from step N down to 1.
gen_inject_calls() {
	awk -v n="$1" -v order="${2:-up}" 'BEGIN {
		for (k = 1; k <= n; k++) {
			i = order == "down" ? n + 1 - k : k
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T\",\"id\":\"c%d\"}\n", i, i
		}
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"success\"}\n", n + 1
	}'
}

# gen_replay_finals N [ORDER]: N traces t1..tN of a call and a final each;
# ORDER=reverse writes them from tN down to t1.
gen_replay_finals() {
	awk -v n="$1" -v order="${2:-up}" 'BEGIN {
		for (k = 1; k <= n; k++) {
			i = order == "reverse" ? n + 1 - k : k
			printf "{\"trace\":\"t%d\",\"step\":1,\"kind\":\"call\",\"tool\":\"T\",\"id\":\"c\"}\n", i
			printf "{\"trace\":\"t%d\",\"step\":2,\"kind\":\"final\",\"status\":\"%s\"}\n", i, i % 1000 ? "success" : "failure"
		}
	}'
}

# gen_inject_shuffled N: N records of five traces whose steps go up and
# down (0 to 49, drawn by a small LCG, the same in every awk), calls and
# results of three tools, some with causes, a final now and then: for
# where-a-step-is-now when steps do not come in order.
gen_inject_shuffled() {
	awk -v n="$1" 'function r(m) { x = (x * 75 + 74) % 65537; return x % m }
	BEGIN {
		x = 7
		for (i = 0; i < n; i++) {
			# one draw a statement: awks may order the operands of one differently
			tr = r(5); st = r(50); tool = r(3)
			k = r(2) ? "call" : "result"
			if (r(100) == 0) k = "final"
			w = r(10); a = r(50); b = r(50)
			c = w < 3 ? ",\"cause\":" a : w < 4 ? ",\"cause\":[" a "," b "]" : ""
			printf "{\"trace\":\"t%d\",\"step\":%d,\"kind\":\"%s\",\"tool\":\"T%d\",\"id\":\"c%d\"%s}\n", tr, st, k, tool, i, c
		}
	}'
}

# --- replay (h-replay)

# gen_replay_orphan_faults N: a trace of N fault records (steps 1 to N) of
# Stripe, then N health records of SMS and N results of Stripe, each
# naming as its cause a step that no fault record has (so each looks for
# its fault among all N that wait), and results of CRM, Email and
# Complete, the one
# of CRM caused by the fault at step 1: it is written again.
gen_replay_orphan_faults() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"fault\",\"tool\":\"Stripe\",\"fault\":\"error\"}\n", i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"health\",\"tool\":\"SMS\",\"status\":\"up\",\"cause\":%d}\n", n + i, 4 * n + i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"Stripe\",\"call\":\"c%d\",\"status\":\"ok\",\"cause\":%d}\n", 2 * n + i, i, 5 * n + i
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"CRM\",\"call\":\"x\",\"status\":\"ok\",\"cause\":1}\n", 3 * n + 1
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"Email\",\"call\":\"y\",\"status\":\"ok\"}\n", 3 * n + 2
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"Complete\",\"call\":\"z\",\"status\":\"ok\"}\n", 3 * n + 3
	}'
}

# --- base (h-base)

# gen_yaml_nest PREFIX N TEXT [SUFFIX]: PREFIX (awk escapes: \n), TEXT
# written N times, SUFFIX and a newline: YAML nested N deep, such as
# `faults: [[[[...` or `- - - - x`.
gen_yaml_nest() {
	awk -v pre="$1" -v n="$2" -v s="$3" -v post="${4:-}" 'BEGIN { printf "%s", pre; for (i = 0; i < n; i++) printf "%s", s; print post }'
}
