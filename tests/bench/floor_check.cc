/*
 * floor_check - the parse floor of `scripts/bench check`: the four contracts
 * of tests/bench/check_contracts.yaml, hand-written on simdjson's DOM.
 *
 *   floor_check FILE
 *
 * Every line is parsed whole (a DOM per record, parse_many over blocks of
 * the file), state is kept per trace id in a hash map, and each trace gets
 * one verdict per contract, in the order agraph-trace check gives them:
 *
 *   TRACE CONTRACT pass
 *   TRACE CONTRACT fail STEP
 *
 * The semantics are agraph-contract(5)'s, written out for these four:
 *
 *   refund-cap   a call of refund whose args.amount is not a number <= 500
 *                fails (a missing amount is null, and null is not ordered);
 *   answered     a call opens an obligation; a result whose call equals
 *                its id (null equals null) meets every one open with that
 *                id; a record more than 10 steps past the oldest open one
 *                fails at its own step; one left open at the end fails at
 *                the step of the oldest;
 *   no-refund-after-escalation
 *                a call of refund after (or at) the first escalate fails;
 *   auth-first   a record with tool refund before any with tool auth fails
 *                (any kind of record, not only calls).
 *
 * A trace ends at its first final, and records after it are still its own;
 * it is over once 4096 traces have ended after it, or at the end of the
 * input.  Verdicts: the traces that ended in the order they ended, then
 * the others in the order they began.  A step that is missing or not an
 * integer is -1; a negative one is taken as it is, as agraph-trace takes
 * it.  A line that is not a JSON object is passed over.
 *
 * What it does not do that agraph-trace does: tell a duplicate key or a
 * NUL in a name from a good record, report a record of a trace already let
 * go, or compare objects and arrays used as call ids whatever the order of
 * their keys (they are compared as their minified text).
 */
#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace
{

enum { REFUND_CAP, ANSWERED, NO_REFUND_AFTER_ESCALATION, AUTH_FIRST, NCONTRACTS };

const char *const names[NCONTRACTS] = { "refund-cap", "answered", "no-refund-after-escalation",
	                                "auth-first" };

// As agraph-trace holds them: ended traces wait for records after their final.
constexpr size_t HELD = 4096;

struct Obligation {
	std::string key; // the call's id, typed (see value_key)
	long step;
};

struct State {
	std::string id;
	unsigned long seq; // when it began
	bool ended = false;
	bool escalated = false; // the scope of no-refund-after-escalation is open
	bool seen_auth = false;
	bool failed[NCONTRACTS] = {};
	long fail_step[NCONTRACTS] = {};
	std::vector<Obligation> open; // answered: in the order they came
};

std::unordered_map<std::string_view, std::unique_ptr<State>> traces;
std::deque<State *> ended;
unsigned long seq;
std::string out;

/*
 * A JSON value as a key that equal values share: == compares strings byte
 * for byte, numbers by value (1 is 1.0), and a value never equals one of
 * another type.  Missing is null.
 */
void
value_key(element v, bool present, std::string &key)
{
	key.clear();
	if (!present) {
		key = "n";
		return;
	}
	switch (v.type()) {
	case element_type::STRING: {
		std::string_view s = v.get_string().value_unsafe();

		key.reserve(s.size() + 1);
		key += 's';
		key.append(s);
		return;
	}
	case element_type::INT64:
	case element_type::UINT64:
	case element_type::DOUBLE: {
		double d = v.get_double().value_unsafe();
		char b[sizeof d];

		if (d == 0)
			d = 0; // -0 == 0
		memcpy(b, &d, sizeof d);
		key += 'd';
		key.append(b, sizeof b);
		return;
	}
	case element_type::BOOL:
		key = v.get_bool().value_unsafe() ? "t" : "f";
		return;
	case element_type::NULL_VALUE:
		key = "n";
		return;
	default:
		key = "j" + simdjson::minify(v);
		return;
	}
}

void
fail(State &t, int c, long step)
{
	if (!t.failed[c]) {
		t.failed[c] = true;
		t.fail_step[c] = step;
	}
}

void
emit(State &t)
{
	if (!t.failed[ANSWERED] && !t.open.empty())
		fail(t, ANSWERED, t.open.front().step);
	for (int c = 0; c < NCONTRACTS; c++) {
		out += t.id;
		out += ' ';
		out += names[c];
		if (t.failed[c]) {
			out += " fail ";
			out += std::to_string(t.fail_step[c]);
		} else {
			out += " pass";
		}
		out += '\n';
	}
	if (out.size() > (1 << 16)) {
		fwrite(out.data(), 1, out.size(), stdout);
		out.clear();
	}
}

void
let_go(State *t)
{
	emit(*t);
	traces.erase(traces.find(t->id)); // by iterator: the key is the state's own
}

std::string key_scratch;

void
record(element doc)
{
	object o;

	if (doc.get_object().get(o))
		return; // not an object: agraph-trace reports it and reads on
	std::string_view id, kind, tool;
	bool has_kind = false, has_tool = false, has_id = false, has_call = false, has_args = false;
	element vid, vcall, args;
	long step = -1;

	for (auto field : o) {
		std::string_view k = field.key;
		element v = field.value;

		if (k == "trace") {
			if (v.is_string())
				id = v.get_string().value_unsafe();
		} else if (k == "step") {
			step = v.is_int64() ? (long)v.get_int64().value_unsafe() : -1;
		} else if (k == "kind") {
			has_kind = v.is_string();
			if (has_kind)
				kind = v.get_string().value_unsafe();
		} else if (k == "tool") {
			has_tool = v.is_string();
			if (has_tool)
				tool = v.get_string().value_unsafe();
		} else if (k == "id") {
			has_id = true;
			vid = v;
		} else if (k == "call") {
			has_call = true;
			vcall = v;
		} else if (k == "args") {
			has_args = true;
			args = v;
		}
	}

	auto it = traces.find(id);
	State *t;

	if (it == traces.end()) {
		auto s = std::make_unique<State>();

		s->id = std::string(id);
		s->seq = seq++;
		t = s.get();
		traces.emplace(std::string_view(t->id), std::move(s));
	} else {
		t = it->second.get();
	}

	bool is_call = has_kind && kind == "call";
	bool is_result = has_kind && kind == "result";
	bool refund = has_tool && tool == "refund";

	// refund-cap: kind != "call" || tool != "refund" || args.amount <= 500
	if (is_call && refund && !t->failed[REFUND_CAP]) {
		element amount;
		bool ok = has_args && args.is_object() && !args["amount"].get(amount) &&
		          amount.is_number() && amount.get_double().value_unsafe() <= 500;

		if (!ok)
			fail(*t, REFUND_CAP, step);
	}

	// answered: within 10 steps of the oldest open call, by the step field
	if (!t->failed[ANSWERED]) {
		if (!t->open.empty()) {
			long since = t->open.front().step;

			if (step > since && (unsigned long)step - (unsigned long)since > 10) {
				fail(*t, ANSWERED, step);
				t->open.clear();
			}
		}
		if (!t->failed[ANSWERED] && is_result && !t->open.empty()) {
			value_key(vcall, has_call, key_scratch);
			auto &v = t->open;
			v.erase(std::remove_if(
			            v.begin(), v.end(),
			            [](const Obligation &ob) { return ob.key == key_scratch; }),
			        v.end());
		}
		if (!t->failed[ANSWERED] && is_call) {
			t->open.push_back({ std::string(), step });
			value_key(vid, has_id, t->open.back().key);
		}
	}

	// no-refund-after-escalation: the scope opens at the first escalate
	if (!t->escalated && has_kind && kind == "escalate")
		t->escalated = true;
	if (t->escalated && is_call && refund)
		fail(*t, NO_REFUND_AFTER_ESCALATION, step);

	// auth-first: precedence {first: tool == "auth", before: tool == "refund"}
	if (has_tool && tool == "auth")
		t->seen_auth = true;
	else if (!t->seen_auth && refund)
		fail(*t, AUTH_FIRST, step);

	if (has_kind && kind == "final" && !t->ended) {
		t->ended = true;
		ended.push_back(t);
		if (ended.size() > HELD) {
			State *oldest = ended.front();

			ended.pop_front();
			let_go(oldest);
		}
	}
}

simdjson::dom::parser many, one;

// One line at a time: for a block where parse_many met an error.
void
lines(const char *p, const char *end)
{
	while (p < end) {
		const char *nl = static_cast<const char *>(memchr(p, '\n', end - p));
		const char *e = nl ? nl : end;
		element doc;

		// the bytes after the line are the block's, and its padding: readable
		if (!one.parse(p, e - p, false).get(doc))
			record(doc);
		p = e + 1;
	}
}

void
block(const char *p, size_t n)
{
	simdjson::dom::document_stream stream;

	if (many.parse_many(p, n, std::max<size_t>(n, 1)).get(stream)) {
		lines(p, p + n);
		return;
	}
	for (auto it = stream.begin(); it != stream.end(); ++it) {
		element doc;

		if ((*it).get(doc)) {
			/* From the line the failing document begins on. */
			const char *at = p + it.current_index();

			while (at > p && at[-1] != '\n')
				at--;
			lines(at, p + n);
			return;
		}
		record(doc);
	}
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: floor_check FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "floor_check: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
#ifdef SIMDJSON_THREADS_ENABLED
	many.threaded = false; // one core, as agraph-trace
#endif
	// Blocks of whole lines, each parsed with parse_many; a line longer
	// than a block grows it.
	size_t cap = 1 << 20, len = 0;
	// simdjson reads up to SIMDJSON_PADDING bytes past a document's end:
	// there, the next line's bytes or the zeroed padding.
	std::unique_ptr<char[]> buf(new char[cap + simdjson::SIMDJSON_PADDING]());

	for (;;) {
		if (len == cap) {
			std::unique_ptr<char[]> bigger(
			    new char[2 * cap + simdjson::SIMDJSON_PADDING]());

			memcpy(bigger.get(), buf.get(), len);
			buf = std::move(bigger);
			cap *= 2;
		}
		ssize_t r = read(fd, buf.get() + len, cap - len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "floor_check: %s: %s\n", argv[1], strerror(errno));
			return 2;
		}
		len += (size_t)r;
		const char *nl = static_cast<const char *>(memrchr(buf.get(), '\n', len));
		// whole lines; at the end, the last one without its newline too
		size_t whole = r == 0 ? len : nl ? (size_t)(nl - buf.get()) + 1 : 0;

		if (whole > 0) {

			block(buf.get(), whole);
			memmove(buf.get(), buf.get() + whole, len - whole);
			len -= whole;
		}
		if (r == 0)
			break;
	}
	close(fd);

	for (State *t : ended)
		emit(*t);
	std::vector<State *> rest;
	for (auto &kv : traces)
		if (!kv.second->ended)
			rest.push_back(kv.second.get());
	std::sort(rest.begin(), rest.end(), [](State *a, State *b) { return a->seq < b->seq; });
	for (State *t : rest)
		emit(*t);
	fwrite(out.data(), 1, out.size(), stdout);
	return 0;
}
