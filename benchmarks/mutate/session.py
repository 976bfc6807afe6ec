"""Sample and summarise a cosmic-ray session of the local runtime (`make mutate`).

    python benchmarks/mutate/session.py sample SESSION [--seed 11] [--count 40]
        [--modules a.py,b.py]
    python benchmarks/mutate/session.py summary SESSION

`sample` keeps a seeded sample of the pending mutants and marks every other one as
skipped (cosmic-ray's own filters do the same), so `cosmic-ray exec` runs only the
sample. The sample is drawn per module (each module's mutants shuffled with the seed)
and interleaved module by module, so a small count still reaches every module.

Before sampling, `sample` also skips the mutants that only rewrite a type annotation in a
module with ``from __future__ import annotations`` (``str | None`` -> ``str * None``):
such annotations are kept as strings and never evaluated (no module of the runtime
resolves its own hints), so these mutants are equivalent by construction. They are about
a tenth of all mutants; `summary` counts them apart. A sample (``--count``) also leaves out
the mutants of annotations that are evaluated (plugin.py has no such import): they break
the import, so any run kills them; a full run still runs them.

`summary` counts only mutants that ran: cosmic-ray's `cr-rate` counts a skipped
mutant as killed, and a timeout as killed too; here timeouts are shown apart.
"""

from __future__ import annotations

import argparse
import ast
import random
import sys
from collections import defaultdict
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult


def _key(item):
    mutation = item.mutations[0]
    return (str(mutation.module_path), mutation.operator_name, mutation.occurrence)


ANNOTATION_ONLY = "annotation only: never evaluated (from __future__ import annotations)"


def _annotation_spans(path: Path) -> tuple[bool, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Whether the module postpones annotations, and where its annotations are."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    annotations = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
    spans = [
        ((a.lineno, a.col_offset), (a.end_lineno or a.lineno, a.end_col_offset or 0))
        for a in annotations
    ]
    return postponed, spans


def _annotation(item, modules: dict[Path, tuple[bool, list]]) -> str | None:
    """'postponed' or 'evaluated' when every mutation of item is inside an annotation."""
    kinds = set()
    for mutation in item.mutations:
        path = Path(mutation.module_path)
        if path not in modules:
            modules[path] = _annotation_spans(path)
        postponed, spans = modules[path]
        start, end = tuple(mutation.start_pos), tuple(mutation.end_pos)
        if not any(low <= start and end <= high for low, high in spans):
            return None
        kinds.add("postponed" if postponed else "evaluated")
    return "postponed" if kinds == {"postponed"} else "evaluated"


def sample(session: str, seed: int, count: int, modules: list[str]) -> None:
    with use_db(session, WorkDB.Mode.open) as db:
        pending = sorted(db.pending_work_items, key=_key)
        modules_seen: dict[Path, tuple[bool, list]] = {}
        kinds = {item.job_id: _annotation(item, modules_seen) for item in pending}
        annotation_only = [job for job, kind in kinds.items() if kind == "postponed"]
        db.set_multiple_results(
            annotation_only,
            WorkResult(output=ANNOTATION_ONLY, worker_outcome=WorkerOutcome.SKIPPED),
        )
        print(f"{len(annotation_only)} of {len(pending)} mutants skipped: {ANNOTATION_ONLY}")
        dropped = set(annotation_only)
        pending = [item for item in pending if item.job_id not in dropped]
        # plugin.py evaluates its annotations at import, so `str * None` there fails the
        # import: killed by any run, and no news. A full run keeps them; a sample does not
        # spend its few slots on them.
        pool = [item for item in pending if not (count and kinds[item.job_id] == "evaluated")]
        wanted = {Path(m).name for m in modules}
        per_module: dict[str, list] = defaultdict(list)
        for item in pool:
            name = Path(item.mutations[0].module_path).name
            if not wanted or name in wanted:
                per_module[name].append(item)
        rng = random.Random(seed)
        for name in sorted(per_module):
            rng.shuffle(per_module[name])
        limit = count or len(pending)
        chosen: list = []
        queues = [per_module[name] for name in sorted(per_module)]
        while len(chosen) < limit and any(queues):
            for queue in queues:
                if queue and len(chosen) < limit:
                    chosen.append(queue.pop(0))
        keep = {item.job_id for item in chosen}
        skipped = [item.job_id for item in pending if item.job_id not in keep]
        db.set_multiple_results(
            skipped,
            WorkResult(
                output=f"not in the sample (seed {seed}, count {count})",
                worker_outcome=WorkerOutcome.SKIPPED,
            ),
        )
        print(f"{len(keep)} of {len(pending)} mutants kept (seed {seed}); {len(skipped)} skipped")


def summary(session: str) -> int:
    with use_db(session, WorkDB.Mode.open) as db:
        done = db.completed_work_items
        pending = len(db.pending_work_items)
    counts: dict[str, int] = defaultdict(int)
    survivors = []
    for item, result in sorted(done, key=lambda pair: _key(pair[0])):
        if result.worker_outcome == WorkerOutcome.SKIPPED and result.output == ANNOTATION_ONLY:
            counts["annotation only"] += 1
        elif result.worker_outcome == WorkerOutcome.SKIPPED:
            counts["skipped"] += 1
        elif result.test_outcome == TestOutcome.KILLED and result.output == "timeout":
            counts["timeout"] += 1
        elif result.test_outcome == TestOutcome.KILLED:
            counts["killed"] += 1
        elif result.test_outcome == TestOutcome.SURVIVED:
            counts["survived"] += 1
            survivors.append((item, result))
        else:
            counts[f"other ({result.worker_outcome}, {result.test_outcome})"] += 1
    ran = counts["killed"] + counts["timeout"] + counts["survived"]
    score = (counts["killed"] + counts["timeout"]) / ran if ran else 0.0
    print(
        f"ran {ran}: killed {counts['killed']}, timeout {counts['timeout']}, "
        f"survived {counts['survived']}; score {score:.1%} "
        f"(equivalent, annotation only {counts['annotation only']}; not in the sample "
        f"{counts['skipped']}; still pending {pending})"
    )
    for key, value in counts.items():
        if key.startswith("other"):
            print(f"{key}: {value}")
    for item, result in survivors:
        mutation = item.mutations[0]
        print(
            f"\nSURVIVED {mutation.module_path}:{mutation.start_pos[0]} "
            f"{mutation.operator_name} #{mutation.occurrence}"
        )
        print(result.diff or "")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sampling = commands.add_parser("sample")
    sampling.add_argument("session")
    sampling.add_argument("--seed", type=int, default=11)
    sampling.add_argument("--count", type=int, default=0, help="0: every mutant")
    sampling.add_argument("--modules", default="", help="comma-separated file names")
    summarising = commands.add_parser("summary")
    summarising.add_argument("session")
    args = parser.parse_args(argv)
    if args.command == "sample":
        sample(args.session, args.seed, args.count, [m for m in args.modules.split(",") if m])
        return 0
    return summary(args.session)


if __name__ == "__main__":
    sys.exit(main())
