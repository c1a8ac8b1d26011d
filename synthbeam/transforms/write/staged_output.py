"""Publishing a run's output: everything staged while it runs, made visible at the end.

A recipe run writes nothing directly into ``OUTPUT``. Every file it makes -- split shards,
``rejected/``, ``dead_letter/``, exports, the dataset card and its charts, ``manifest.json``
-- goes under a staging directory ``OUTPUT/.synthbeam-tmp-<token>/`` with the final layout.
The pipeline's last step runs once every other step has finished and publishes it:

1. deletes the earlier run's ``manifest.json``, so no manifest describes files not its own;
2. moves every staged file to its place in ``OUTPUT``, replacing a file of the same name;
3. deletes every other file under the names a run owns (``OWNED`` and whatever this run
   staged: splits, ``rejected/``, ``dead_letter/``, ``tool_selection/``, ``export/``, the
   card and charts), and on local disk the directories that leaves empty;
4. moves ``manifest.json`` into place, last, and deletes the staging directory.

A reader who finds ``manifest.json`` finds the files of the run it describes and no others.
Nothing else in ``OUTPUT`` is touched: the response cache (``OUTPUT/_llm_cache`` by default
for ``gs://`` outputs) stays for reruns to reuse, and paths passed as ``keep`` are never
deleted. A run killed before it publishes leaves its staging directory behind;
``remove_leftovers`` deletes those (and the sink's own ``.synthbeam-tmp-*`` directories) for
the next run, which holds the output's lock (``output_lock``) and so knows no other run is
writing there.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.paths import is_local
from synthbeam.transforms.write.charts import CLASS_CHART, LENGTH_CHART
from synthbeam.transforms.write.parquet import TEMP_DIR_PREFIX

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
STAGING_PREFIX = TEMP_DIR_PREFIX
OWNED_DIRS = ("train", "eval", "data", "rejected", "dead_letter", "tool_selection", "export")
OWNED = (*OWNED_DIRS, "README.md", CLASS_CHART, LENGTH_CHART, MANIFEST)


def new_staging_dir(output: str) -> str:
    return FileSystems.join(output, f"{STAGING_PREFIX}{uuid.uuid4().hex}")


def final_output(path: str) -> str:
    """The output directory a path publishes to: the parent of a staging directory, else itself."""
    parent, name = FileSystems.split(path.rstrip("/"))
    return parent if name.startswith(STAGING_PREFIX) else path


def files_under(path: str) -> list[str]:
    """The file at ``path``, or every file below it; [] when there is none."""
    if is_local(path):
        if os.path.isfile(path):
            return [path]
        return sorted(os.path.join(root, name) for root, _, names in os.walk(path) for name in names)
    results = FileSystems.match([path, FileSystems.join(path, "**")])
    return sorted({m.path for result in results for m in result.metadata_list})


def has_files(path: str) -> bool:
    if is_local(path):
        return os.path.isfile(path) or any(names for _, _, names in os.walk(path))
    results = FileSystems.match([path, FileSystems.join(path, "**")], limits=[1, 1])
    return any(result.metadata_list for result in results)


def earlier_run(output: str) -> list[str]:
    """The names a run owns that already hold files in ``output`` (empty: no earlier run)."""
    return [name for name in OWNED if has_files(FileSystems.join(output, name))]


def delete_tree(path: str) -> None:
    """Deletes the file ``path``, or the directory and everything below it, if it exists."""
    if is_local(path):
        if os.path.lexists(path):
            FileSystems.delete([path])
        return
    files = files_under(path)
    if files:
        FileSystems.delete(files)


def leftover_dirs(output: str) -> list[str]:
    """Temporary directories of killed runs: at the top of ``output`` and in its owned directories."""
    parents = [output, *(FileSystems.join(output, name) for name in OWNED_DIRS)]
    if is_local(output):
        return sorted(
            os.path.join(parent, name)
            for parent in parents
            if os.path.isdir(parent)
            for name in os.listdir(parent)
            if name.startswith(STAGING_PREFIX)
        )
    found = set()
    for parent in parents:
        prefix = FileSystems.join(parent, STAGING_PREFIX)
        for m in FileSystems.match([prefix + "**"])[0].metadata_list:
            found.add(FileSystems.join(parent, m.path[len(parent) + 1 :].split("/")[0]))
    return sorted(found)


def remove_leftovers(output: str) -> list[str]:
    """Deletes what killed runs left in ``output``; returns the directories deleted."""
    leftovers = leftover_dirs(output)
    for path in leftovers:
        logger.warning("Deleting %s, left by a run that did not finish.", path)
        delete_tree(path)
    return leftovers


def relative(path: str, root: str) -> str:
    return path[len(root.rstrip("/")) + 1 :]


def staged_files(staging: str) -> dict[str, str]:
    """``{path relative to the staging directory: staged path}``, temporary directories aside."""
    files = {relative(path, staging): path for path in files_under(staging)}
    return {rel: path for rel, path in files.items() if not any(p.startswith(STAGING_PREFIX) for p in rel.split("/"))}


def move(sources: list[str], destinations: list[str]) -> None:
    if not sources:
        return
    if is_local(destinations[0]):
        for directory in {os.path.dirname(d) for d in destinations}:
            os.makedirs(directory, exist_ok=True)
    FileSystems.rename(sources, destinations)


def remove_empty_dirs(path: str) -> None:
    """Local disk: deletes the directories under ``path`` (and it) that hold no file."""
    if not is_local(path) or not os.path.isdir(path):
        return
    for root, _, _ in sorted(os.walk(path), key=lambda entry: -len(entry[0])):
        if not os.listdir(root):
            os.rmdir(root)


def publish(output: str, staging: str, keep: Iterable[str] = ()) -> list[str]:
    """Makes the run staged in ``staging`` the content of ``output`` (steps 1-4 above);
    returns the published paths."""
    kept = tuple(k.rstrip("/") + "/" for k in keep if k)
    staged = staged_files(staging)
    names = sorted(set(OWNED) | {rel.split("/")[0] for rel in staged})
    final = {FileSystems.join(output, rel): path for rel, path in staged.items()}
    manifest = FileSystems.join(output, MANIFEST)
    delete_tree(manifest)
    move([final[d] for d in final if d != manifest], [d for d in final if d != manifest])
    stale = [
        path
        for name in names
        for path in files_under(FileSystems.join(output, name))
        if path not in final and not path.startswith(kept)
    ]
    if stale:
        FileSystems.delete(stale)
    for name in names:
        remove_empty_dirs(FileSystems.join(output, name))
    if manifest in final:
        move([final[manifest]], [manifest])
    delete_tree(staging)
    return sorted(final)


class PublishFn(beam.DoFn):
    """Publishes the staged run, then releases the output's lock (when ``run_id`` holds it)."""

    def __init__(self, output: str, staging: str, run_id: str, keep: tuple[str, ...] = ()) -> None:
        self._output = output
        self._staging = staging
        self._run_id = run_id
        self._keep = keep

    def process(self, _: object) -> Iterable[str]:
        from synthbeam.transforms.write.output_lock import release

        published = publish(self._output, self._staging, self._keep)
        release(self._output, self._run_id)
        yield from published


class PublishWhenDone(beam.PTransform):
    """Runs ``PublishFn`` once every collection in ``wait_for`` is complete.

    Input: the pipeline (``PBegin``). Output: ``PCollection[str]`` of the published paths.
    """

    def __init__(self, wait_for: list[beam.PCollection], publish_fn: PublishFn) -> None:
        super().__init__()
        self._wait_for = wait_for
        self._publish_fn = publish_fn

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        from apache_beam.transforms.util import WaitOn

        return (
            pbegin
            | "Start" >> beam.Create([None])
            | "AfterEveryWrite" >> WaitOn(*self._wait_for)
            | "Publish" >> beam.ParDo(self._publish_fn)
        )
