# tests/bench/import_openai.jq - agraph-trace import openai in jq, a run a
# line:  jq -c -f tests/bench/import_openai.jq FILE
# The same records for runs in NDJSON: messages, calls with their arguments
# parsed, results paired with the nearest open call of their id, the rest
# under src, the run's fields on its first record, its outcome as a final.
# What differs: the key order (compare after jq -S); args_error holds jq's
# message, not jansson's; a run without an id is named by its line as jq
# counts them; numbers are jq's doubles; a shape agraph-trace reports
# (tool_calls neither a list nor a call, no list of messages) is not.
def drop($ks): with_entries(select(.key as $k | any($ks[]; . == $k) | not));
def put($k; $v): if $v == {} or $v == null then . else .[$k] = $v end;
def whole($k): if (.[$k] | type) == "string" then .[$k] else null end;

def outcome:
	if (.reward | type) == "number" then (if .reward > 0 then "success" else "failure" end)
	else first((.outcome, .status, .result)
		| select(type == "string") | ascii_downcase
		| if IN("success", "succeeded", "resolved", "solved", "pass", "passed") then "success"
		  elif IN("failure", "failed", "fail", "error", "unresolved") then "failure"
		  else empty end)
	  // first((.success, .resolved, .solved, .correct) | select(type == "boolean")
		| if . then "success" else "failure" end)
	  // null
	end;

def calls:
	.tool_calls as $c
	| if ($c | type) == "array" then $c
	  elif ($c | type) == "object" and ($c.function | type) == "object" then [$c]
	  else [] end;

# One call: its record, and the open call it leaves.
def call($m; $msg_src):
	. as $tc | (.function | if type == "object" then . else null end) as $fn
	| ({kind: "call", agent: ($m | whole("role") // "assistant")}
	   | put("tool"; $fn | whole("name")) | put("id"; $tc | whole("id"))
	   | if ($fn | has("arguments")) | not then .
	     elif ($fn.arguments | type) == "string" then
		(try {args: ($fn.arguments | fromjson)} catch {args: $fn.arguments, args_error: .}) as $a
		| . + $a
	     else .args = $fn.arguments end
	   | put("src"; $tc | drop(["id", "function"])
		| put("function"; $fn | drop(["name", "arguments"])) | put("message"; $msg_src))),
	  {id: ($tc | whole("id")), tool: ($fn | whole("name"))};

def result($m; $open):
	($m | whole("tool_call_id")) as $id
	| ([range(0; $open | length) | select($id != null and $open[.].id == $id)] | last) as $i
	| ({kind: "result"}
	   | if $i != null then put("tool"; $open[$i].tool)
	     else .unpaired = true | put("tool"; $m | whole("name")) end
	   | put("call"; $id) | .status = "ok"
	   | if $m | has("content") then .output = $m.content else . end
	   | put("src"; $m | drop(["role", "content", "tool_call_id"]))),
	  (if $i != null then $open[:$i] + $open[$i + 1:] else $open end);

def run:
	. as $run
	| (if type == "array" then . elif has("messages") then .messages else .traj end) as $msgs
	| select(($msgs | type) == "array")
	| (if type == "object" then
		first((.id, .trace_id, .instance_id)
			| select(type == "string" or (type == "number" and . == floor))) // null
	   else null end
	   // "\(input_filename):\(input_line_number)") as $trace
	| ((reduce $msgs[] as $m ({recs: [], open: []};
		if ($m | type) != "object" then .recs += [{kind: "message", src: $m}]
		elif ($m.role == "tool" or $m.role == "function") then
			[result($m; .open)] as [$rec, $open2]
			| .recs += [$rec] | .open = $open2
		else
			($m | calls) as $calls
			| ($m.content == null or $m.content == "") as $quiet
			| if ($quiet | not) or ($calls | length) == 0 then
				.recs += [{kind: "message"} | put("from"; $m | whole("role"))
					| put("agent"; $m | whole("name"))
					| if $m | has("content") then .content = $m.content else . end
					| put("src"; $m | drop(["role", "content", "name", "tool_calls"]))]
			  else . end
			| (if $quiet and ($calls | length) > 0 then
				$m | drop(["role", "content", "name", "tool_calls"]) | put("name"; $m | whole("name"))
			   else null end) as $msg_src
			| reduce range(0; $calls | length) as $k (.;
				[$calls[$k] | call($m; if $k == 0 then $msg_src else null end)] as [$rec, $open1]
				| .recs += [$rec] | .open += [$open1])
		end) | .recs)
	   + (if type == "object" and outcome != null then [{kind: "final", status: outcome}] else [] end))
	| ($run | if type == "object" then drop(["messages", "traj", "id", "trace_id", "instance_id"])
		else {} end) as $fields
	| to_entries[]
	| {trace: $trace, step: (.key + 1)} + .value
	| if .step == 1 then put("run"; $fields) else . end;

run
