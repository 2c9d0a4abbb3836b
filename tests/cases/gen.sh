# gen.sh - generators the cases share, for the inputs too big to store:
# a case's cmd sources it (". ../gen.sh").  Each area names its own
# functions: gen_record_* for the record layer.

# gen_record_digits N [D]: N digits D (default 9), no newline.
gen_record_digits() {
	awk -v n="$1" -v d="${2:-9}" 'BEGIN { s = ""; for (i = 0; i < n; i++) s = s d; printf "%s", s }'
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
