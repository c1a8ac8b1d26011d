"""Connected components of an edge list with shuffles only (no node is held globally).

Alternating large-star / small-star rounds (Kiveris et al., "Connected Components in
MapReduce and Beyond", 2014): each round is one GroupByKey over edges, and after enough
rounds every component is a star around its smallest node, which becomes its label.
Beam graphs cannot loop on data, so a fixed number of rounds is unrolled; a component that
has not become a star by then is reported by a counter and may come out as several
smaller clusters (never as a merge of unrelated ones).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

Edge = tuple[str, str]
_NAMESPACE = "connected_components"


def local_stars(edges: Iterable[Edge]) -> Iterator[Edge]:
    """The same components as ``edges``, as stars around each one's smallest node.

    Contracting what one worker already sees (union-find) leaves far fewer rounds to the
    distributed part.
    """
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for u, v in edges:
        ru, rv = root(u), root(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    for node in sorted(parent):
        top = root(node)
        if top != node:
            yield node, top


def both_directions(edge: Edge) -> Iterator[Edge]:
    u, v = edge
    if u != v:
        yield u, v
        yield v, u


def towards_larger(edge: Edge) -> Iterator[Edge]:
    u, v = edge
    if u != v:
        yield (u, v) if u > v else (v, u)


def large_star(node: str, neighbours: Iterable[str]) -> Iterator[Edge]:
    """Links every larger neighbour of ``node`` to the smallest node of its neighbourhood."""
    distinct = set(neighbours)
    smallest = min(distinct | {node})
    for v in distinct:
        if v > node and v != smallest:
            yield v, smallest


def small_star(node: str, smaller: Iterable[str]) -> Iterator[Edge]:
    """Links ``node`` and its smaller neighbours to the smallest of them."""
    group = set(smaller) | {node}
    smallest = min(group)
    for v in group:
        if v != smallest:
            yield v, smallest


def label(node: str, neighbours: Iterable[str]) -> tuple[str, str]:
    """The node's component label: the smallest node in its closed neighbourhood."""
    return node, min(set(neighbours) | {node})


class LabelFn(beam.DoFn):
    """Emits ``(node, label)`` and counts nodes whose neighbourhood is not yet a star."""

    def __init__(self) -> None:
        self._unconverged = Metrics.counter(_NAMESPACE, "unconverged_nodes")

    def process(self, keyed: tuple[str, Iterable[str]]) -> Iterator[tuple[str, str]]:
        node, neighbours = keyed
        distinct = set(neighbours)
        result = label(node, distinct)
        if len(distinct) > 1 and result[1] != node:
            self._unconverged.inc()
        yield result


class ConnectedComponents(beam.PTransform):
    """Labels every node of an undirected graph with the smallest node of its component.

    Input: ``PCollection[tuple[str, str]]`` of edges (any direction, duplicates allowed).
    Output: ``PCollection[tuple[str, str]]`` of ``(node, component label)`` for every node
    that appears in an edge; the label node maps to itself.
    """

    def __init__(self, rounds: int = 6) -> None:
        super().__init__()
        if rounds < 1:
            raise ValueError("rounds must be >= 1")
        self._rounds = rounds

    def expand(self, edges: beam.PCollection) -> beam.PCollection:
        for i in range(self._rounds):
            edges = (
                edges
                | f"LargeStarEmit{i}" >> beam.FlatMap(both_directions)
                | f"LargeStarGroup{i}" >> beam.GroupByKey()
                | f"LargeStar{i}" >> beam.FlatMapTuple(large_star)
                | f"SmallStarEmit{i}" >> beam.FlatMap(towards_larger)
                | f"SmallStarGroup{i}" >> beam.GroupByKey()
                | f"SmallStar{i}" >> beam.FlatMapTuple(small_star)
            )
        return (
            edges
            | "LabelEmit" >> beam.FlatMap(both_directions)
            | "LabelGroup" >> beam.GroupByKey()
            | "Label" >> beam.ParDo(LabelFn())
        )
