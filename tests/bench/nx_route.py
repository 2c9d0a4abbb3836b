"""First plan and reroute latency in networkx, the peer of bench_route.

usage: python3 nx_route.py FILE FROM TO K RUNS NODE...
The same graph file, source, target and blocked nodes as bench_route.
The first plan is nx.single_source_dijkstra to the target (networkx keeps
no state between searches), after 50 ms of untimed ones; reroute i hides NODE[i % count] with a weight
function returning None for edges into it, so the graph is not rebuilt.
Prints, as bench_route does (µs):
  networkx FIRST_MIN FIRST_MEDIAN REROUTE_MIN REROUTE_MEDIAN
  costs networkx COST_OF_PLAN COST_OF_REROUTE_1 ... _K
"""
import statistics
import sys
import time

import networkx as nx


def cost(g, src, dst, weight):
    try:
        return nx.single_source_dijkstra(g, src, dst, weight=weight)[0]
    except nx.NetworkXNoPath:
        return float("inf")


def show(c):
    return "inf" if c == float("inf") else "%.6f" % c


def main():
    path, src, dst = sys.argv[1:4]
    k, runs, interior = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6:]
    g = nx.DiGraph()
    with open(path) as f:
        for line in f:
            a, b, c = line.split()
            g.add_edge(a, b, weight=float(c))
    first, reroute, costs = [], [], []
    # untimed first plans for 50 ms at least, as bench_route has
    t0 = time.perf_counter()
    while True:
        cost(g, src, dst, "weight")
        if time.perf_counter() - t0 >= 0.05:
            break
    for r in range(runs):
        t0 = time.perf_counter()
        c = cost(g, src, dst, "weight")
        first.append((time.perf_counter() - t0) * 1e6)
        if r == 0:
            costs.append(c)
    for r in range(runs):
        t0 = time.perf_counter()
        for i in range(k):
            blocked = interior[i % len(interior)]

            def weight(u, v, d, blocked=blocked):
                return None if v == blocked else d["weight"]

            c = cost(g, src, dst, weight)
            if r == 0:
                costs.append(c)
        reroute.append((time.perf_counter() - t0) / k * 1e6)
    print("networkx %.3f %.3f %.3f %.3f" % (min(first), statistics.median(first),
                                            min(reroute), statistics.median(reroute)))
    print("costs networkx " + " ".join(show(c) for c in costs))


main()
