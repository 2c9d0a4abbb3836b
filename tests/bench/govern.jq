# tests/bench/govern.jq - the decisions of govern_policy.yaml, in one streaming
# pass of jq:  jq -nc -f tests/bench/govern.jq FILE ...
# Each call is decided as agraph-govern decides it: capability limits, then
# refund-cap, call-budget (3 calls a trace, counting only those that go out),
# mask-customer; a blocked call gives a govern record and a blocked result,
# and its later result is dropped; a rewritten call is followed by its govern
# record.  What differs: steps are not renumbered (the records put in take
# S+1 and S+2 and may clash with the trace's own); every record is parsed and
# written anew, not passed as its bytes; a trace's state is dropped at its
# final record, so records after it start afresh.  A trace is forgotten by
# making its object anew without it: jq 1.6's del() keeps the room of a
# deleted key, and the state, copied at each update, would grow with every
# trace ever seen.
def caps: {"support-bot": ["auth", "lookup", "refund", "notify"], "billing": ["refund", "charge"]};
def gov($r; $d; $rule; $f):
	{trace: $r.trace, step: ($r.step + 1), kind: "govern", decision: $d, rule: $rule} + $f +
	{call: $r.id, tool: $r.tool, agent: $r.agent, cause: $r.step};
def block($r; $rule; $reason):
	[gov($r; "block"; $rule; {reason: $reason}),
	 {trace: $r.trace, step: ($r.step + 2), kind: "result", call: $r.id, tool: $r.tool,
	  agent: $r.agent, status: "error",
	  error: {class: "blocked", message: $reason, retryable: false}, cause: ($r.step + 1)}];

foreach inputs as $r ({n: {}, b: {}, out: []};
	if $r.kind == "call" then
		caps[$r.agent // ""] as $tools
		| if $tools != null and ($tools | any(.[]; . == $r.tool) | not) then
			.out = block($r; "agents"; "agent \($r.agent) may not call \($r.tool)")
			| .b["\($r.trace) \($r.id)"] = true
		elif $r.tool == "refund" and $r.args.amount > 500 then
			.out = block($r; "refund-cap"; "refunds above 500 need a person")
			| .b["\($r.trace) \($r.id)"] = true
		elif (.n[$r.trace] // 0) >= 3 then
			.out = block($r; "call-budget"; "three calls per conversation")
			| .b["\($r.trace) \($r.id)"] = true
		else
			.n[$r.trace] += 1
			| if $r.tool == "notify" and ($r.args | type) == "object" and ($r.args | has("customer")) then
				.out = [($r | .args.customer = "****"),
				        gov($r; "rewrite"; "mask-customer"; {changed: ["args.customer"]})]
			else
				.out = [$r]
			end
		end
	elif $r.kind == "result" and .b["\($r.trace) \($r.call)"] then
		"\($r.trace) \($r.call)" as $k | .out = [] | .b |= with_entries(select(.key != $k))
	elif $r.kind == "final" then
		.out = [$r] | .n |= with_entries(select(.key != $r.trace))
	else
		.out = [$r]
	end;
	.out[])
