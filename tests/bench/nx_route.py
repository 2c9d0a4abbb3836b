"""Reroute latency in networkx, on the graph and blocked nodes bench_route used.

usage: python3 nx_route.py FILE ITERATIONS NODE...
Prints the mean microseconds per reroute: disable one node (a weight
function that hides it, so the graph is not rebuilt) and recompute.
"""
import sys
import time

import networkx as nx


def main():
    path, iterations, interior = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    g = nx.DiGraph()
    with open(path) as f:
        for line in f:
            a, b, c = line.split()
            g.add_edge(a, b, weight=float(c))
    goal = str(g.number_of_nodes() - 1)
    t0 = time.perf_counter()
    for i in range(iterations):
        blocked = interior[i % len(interior)]

        def weight(u, v, d, blocked=blocked):
            return None if v == blocked else d["weight"]

        nx.dijkstra_path(g, "0", goal, weight=weight)
    t1 = time.perf_counter()
    print("%.3f" % ((t1 - t0) / iterations * 1e6))


main()
