"""`python -m model export`: a checkpoint as ONNX, and as a standalone PyTorch training script.

Its own module so that model/cli.py only registers it; errors follow cli.main's rules (one
"error:" line, status 2 for what the user gave).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from .cli_checks import AddsCommands
from .messages import TrainConfig

DEFAULT_RECIPE = "digitpad's default recipe"


def command_export(args: argparse.Namespace) -> int:
    """Write what was asked; the script takes the checkpoint's run recipe, else the default one."""
    from .export import ExportError, export_onnx
    from .script_export import export_run_script

    if args.onnx is None and args.script is None:
        raise ValueError("say what to export: --onnx OUT, --script OUT or both")
    net, metadata = load_checkpoint(args.checkpoint)
    written: dict[str, str] = {}
    try:
        if args.onnx is not None:
            print(export_onnx(net, args.onnx), file=sys.stderr)
            written["onnx"] = str(args.onnx)
        if args.script is not None:
            print(
                export_run_script(args.script, net, metadata, TrainConfig(), DEFAULT_RECIPE), file=sys.stderr
            )
            written["script"] = str(args.script)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"checkpoint": str(args.checkpoint), **written}))
    return 0


def add_export_command(sub: AddsCommands) -> None:
    export = sub.add_parser(
        "export", help="write a checkpoint as ONNX and/or as a standalone training script"
    )
    export.add_argument(
        "--checkpoint", type=Path, default=DEFAULT_WEIGHTS, help="a saved network (default: the shipped one)"
    )
    export.add_argument(
        "--onnx", type=Path, help="where to write the network as ONNX (needs the onnx package)"
    )
    export.add_argument(
        "--script",
        type=Path,
        help="where to write a PyTorch script that trains it again with its run's recipe",
    )
    export.set_defaults(run=command_export)
