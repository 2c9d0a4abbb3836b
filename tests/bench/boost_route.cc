/*
 * boost_route - the peer of bench_route in Boost.Graph: the same graph file,
 * the same source and target, the same blocked nodes.
 *
 *   boost_route FILE FROM TO K RUNS NODE...
 *
 * The graph is an adjacency_list<vecS, vecS, directedS> with double
 * weights, the reverse graph the same (both built from the file, untimed,
 * as loading).  A blocked node is hidden by a filtered_graph whose vertex
 * predicate reads a vector of flags: the graph is not rebuilt.  Reroute i
 * blocks NODE[i % count].  Three ways, each printed as
 *   WAY FIRST_MIN FIRST_MEDIAN REROUTE_MIN REROUTE_MEDIAN   (µs)
 *   costs WAY COST_OF_PLAN COST_OF_REROUTE_1 ... _K
 * boost-dijkstra       dijkstra_shortest_paths, run to the end (its default)
 * boost-dijkstra-stop  the same, its visitor stopping at the target
 * boost-astar          astar_search stopping at the target, its heuristic
 *                      the distance to the target from a reverse Dijkstra,
 *                      computed in the first plan (timed) and kept for the
 *                      reroutes
 * The first plan is timed on fresh state: the distance and predecessor
 * vectors are allocated within it.  Each way has 50 ms of untimed first
 * plans before its timed ones, as bench_route has.
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/astar_search.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/filtered_graph.hpp>

using namespace boost;

typedef adjacency_list<vecS, vecS, directedS, no_property, property<edge_weight_t, double>> Graph;
typedef graph_traits<Graph>::vertex_descriptor Vertex;

struct Unblocked {
	const std::vector<char> *blocked = nullptr;
	bool operator()(Vertex v) const
	{
		return !(*blocked)[v];
	}
};
typedef filtered_graph<Graph, keep_all, Unblocked> Filtered;

struct found_goal {
};

/* Stops a search when it settles the goal, the way Boost's examples do. */
struct stop_dijkstra : default_dijkstra_visitor {
	Vertex goal;
	explicit stop_dijkstra(Vertex g) : goal(g)
	{
	}
	template <class G> void examine_vertex(Vertex u, const G &)
	{
		if (u == goal)
			throw found_goal();
	}
};

struct stop_astar : default_astar_visitor {
	Vertex goal;
	explicit stop_astar(Vertex g) : goal(g)
	{
	}
	template <class G> void examine_vertex(Vertex u, const G &)
	{
		if (u == goal)
			throw found_goal();
	}
};

template <class G> struct to_goal : astar_heuristic<G, double> {
	const std::vector<double> *h;
	explicit to_goal(const std::vector<double> *d) : h(d)
	{
	}
	double operator()(Vertex v) const
	{
		return (*h)[v];
	}
};

static double
now_us()
{
	return std::chrono::duration<double, std::micro>(
	           std::chrono::steady_clock::now().time_since_epoch())
	    .count();
}

/* Untimed first plans before the timed ones, as bench_route does. */
static const double warm_up_us = 50000;

static std::pair<double, double>
min_median(std::vector<double> t)
{
	std::sort(t.begin(), t.end());
	size_t n = t.size();
	return { t[0], n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2 };
}

struct Bench {
	const Graph &g, &rev;
	Vertex src, dst;
	size_t n;
	std::vector<Vertex> interior;
	long k;
	int runs;
};

static void
report(const char *way, const std::vector<double> &first, const std::vector<double> &reroute,
       const std::vector<double> &costs)
{
	auto f = min_median(first), r = min_median(reroute);

	std::printf("%s %.3f %.3f %.3f %.3f\ncosts %s", way, f.first, f.second, r.first, r.second,
	            way);
	for (double c : costs) {
		if (c == std::numeric_limits<double>::infinity())
			std::printf(" inf");
		else
			std::printf(" %.6f", c);
	}
	std::printf("\n");
}

template <class G>
static double
dijkstra(const G &g, Vertex src, Vertex dst, std::vector<double> &dist, std::vector<Vertex> &pred,
         bool stop)
{
	auto idx = get(vertex_index, g);
	auto d = make_iterator_property_map(dist.begin(), idx);
	auto p = make_iterator_property_map(pred.begin(), idx);

	if (stop) {
		try {
			dijkstra_shortest_paths(
			    g, src, predecessor_map(p).distance_map(d).visitor(stop_dijkstra(dst)));
		} catch (found_goal &) {
		}
	} else {
		dijkstra_shortest_paths(g, src, predecessor_map(p).distance_map(d));
	}
	return dist[dst];
}

static void
run_dijkstra(const Bench &b, bool stop)
{
	std::vector<double> first, reroute, costs;
	std::vector<char> blocked(b.n, 0);
	Unblocked pred_ok;
	pred_ok.blocked = &blocked;
	Filtered fg(b.g, keep_all(), pred_ok);

	for (double t0 = now_us(); now_us() - t0 < warm_up_us;) {
		std::vector<double> dist(b.n);
		std::vector<Vertex> pred(b.n);
		dijkstra(b.g, b.src, b.dst, dist, pred, stop);
	}
	for (int r = 0; r < b.runs; r++) {
		double t0 = now_us();
		std::vector<double> dist(b.n);
		std::vector<Vertex> pred(b.n);
		double c = dijkstra(b.g, b.src, b.dst, dist, pred, stop);
		first.push_back(now_us() - t0);
		if (r == 0)
			costs.push_back(c);
	}
	std::vector<double> dist(b.n);
	std::vector<Vertex> pred(b.n);
	for (int r = 0; r < b.runs; r++) {
		double t0 = now_us();
		for (long i = 0; i < b.k; i++) {
			Vertex v = b.interior[(size_t)i % b.interior.size()];
			blocked[v] = 1;
			double c = dijkstra(fg, b.src, b.dst, dist, pred, stop);
			blocked[v] = 0;
			if (r == 0)
				costs.push_back(c);
		}
		reroute.push_back((now_us() - t0) / (double)b.k);
	}
	report(stop ? "boost-dijkstra-stop" : "boost-dijkstra", first, reroute, costs);
}

template <class G>
static double
astar(const G &g, Vertex src, Vertex dst, const std::vector<double> &h, std::vector<double> &dist,
      std::vector<Vertex> &pred)
{
	auto idx = get(vertex_index, g);

	try {
		astar_search(g, src, to_goal<G>(&h),
		             predecessor_map(make_iterator_property_map(pred.begin(), idx))
		                 .distance_map(make_iterator_property_map(dist.begin(), idx))
		                 .visitor(stop_astar(dst)));
	} catch (found_goal &) {
	}
	return dist[dst];
}

static void
run_astar(const Bench &b)
{
	std::vector<double> first, reroute, costs, h;
	std::vector<char> blocked(b.n, 0);
	Unblocked pred_ok;
	pred_ok.blocked = &blocked;
	Filtered fg(b.g, keep_all(), pred_ok);

	for (double t0 = now_us(); now_us() - t0 < warm_up_us;) {
		std::vector<double> hd(b.n), dist(b.n);
		std::vector<Vertex> hp(b.n), pred(b.n);
		dijkstra(b.rev, b.dst, b.dst, hd, hp, false);
		astar(b.g, b.src, b.dst, hd, dist, pred);
	}
	for (int r = 0; r < b.runs; r++) {
		double t0 = now_us();
		std::vector<double> hd(b.n), dist(b.n);
		std::vector<Vertex> hp(b.n), pred(b.n);
		/* the distance to the goal of every node: the reverse graph from it */
		dijkstra(b.rev, b.dst, b.dst, hd, hp, false);
		double c = astar(b.g, b.src, b.dst, hd, dist, pred);
		first.push_back(now_us() - t0);
		if (r == 0)
			costs.push_back(c);
		h.swap(hd);
	}
	std::vector<double> dist(b.n);
	std::vector<Vertex> pred(b.n);
	for (int r = 0; r < b.runs; r++) {
		double t0 = now_us();
		for (long i = 0; i < b.k; i++) {
			Vertex v = b.interior[(size_t)i % b.interior.size()];
			blocked[v] = 1;
			double c = astar(fg, b.src, b.dst, h, dist, pred);
			blocked[v] = 0;
			if (r == 0)
				costs.push_back(c);
		}
		reroute.push_back((now_us() - t0) / (double)b.k);
	}
	report("boost-astar", first, reroute, costs);
}

int
main(int argc, char **argv)
{
	if (argc < 7) {
		std::fprintf(stderr, "usage: boost_route FILE FROM TO K RUNS NODE...\n");
		return 2;
	}
	std::ifstream in(argv[1]);
	std::unordered_map<std::string, Vertex> index;
	std::vector<std::pair<Vertex, Vertex>> edges, redges;
	std::vector<double> weights;
	std::string a, b;
	double w;
	auto intern = [&index](const std::string &name) {
		return index.emplace(name, index.size()).first->second;
	};

	if (!in) {
		std::fprintf(stderr, "boost_route: cannot read %s\n", argv[1]);
		return 2;
	}
	while (in >> a >> b >> w) {
		Vertex u = intern(a), v = intern(b);
		edges.emplace_back(u, v);
		redges.emplace_back(v, u);
		weights.push_back(w);
	}
	Graph g(edges.begin(), edges.end(), weights.begin(), index.size());
	Graph rev(redges.begin(), redges.end(), weights.begin(), index.size());
	Bench bench{ g, rev, 0, 0, index.size(), {}, 0, 0 };
	if (!index.count(argv[2]) || !index.count(argv[3])) {
		std::fprintf(stderr, "boost_route: %s: no node %s\n", argv[1],
		             index.count(argv[2]) ? argv[3] : argv[2]);
		return 2;
	}
	bench.src = index[argv[2]];
	bench.dst = index[argv[3]];
	bench.k = std::atol(argv[4]);
	bench.runs = std::atoi(argv[5]);
	for (int i = 6; i < argc; i++) {
		if (!index.count(argv[i])) {
			std::fprintf(stderr, "boost_route: no node %s\n", argv[i]);
			return 2;
		}
		bench.interior.push_back(index[argv[i]]);
	}
	if (bench.k < 1 || bench.runs < 1)
		return 2;
	std::printf("graph %zu %zu\n", bench.n, num_edges(bench.g));
	run_dijkstra(bench, false);
	run_dijkstra(bench, true);
	run_astar(bench);
	return 0;
}
