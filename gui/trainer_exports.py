"""The trainer's slot for File › Export to ONNX… and Export training script…

Mixed into gui.trainer.Trainer, whose thread runs it: the trainer owns the network and only
its thread touches it, so it exports its own network, as it is (between two training
slices), then says so with a notice (`exported`), or says why not (`failed`).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import SignalInstance, Slot

from model.messages import TrainConfig

if TYPE_CHECKING:
    from model.session import ModelSession

PANEL_RECIPE = "the training panel's settings"


class ExportSlots:
    """Export: see gui.trainer.Trainer."""

    if TYPE_CHECKING:  # provided by Trainer
        failed: SignalInstance
        exported: SignalInstance

        def _served(self) -> None: ...
        def _session_or_fail(self) -> ModelSession: ...

    @Slot(str, str, object)
    def export(self, kind: str, path: str, panel: TrainConfig | None) -> None:
        """kind "onnx": the network for other runtimes; "script": a standalone PyTorch script that
        trains it again, with its run's recipe (else `panel`'s, for a network never trained here)."""
        from model.export import ExportError, export_onnx
        from model.script_export import export_run_script

        self._served()
        session = self._session_or_fail()
        try:
            if kind == "onnx":
                done = export_onnx(session.net, path)
            else:
                recipe = panel or TrainConfig()
                done = export_run_script(path, session.net, session.info.metadata, recipe, PANEL_RECIPE)
        except ExportError as error:
            self.failed.emit(str(error))
            return
        except Exception as error:  # a bug: say so in the window rather than only on stderr
            traceback.print_exc()
            self.failed.emit(f"The export failed because of an internal error: {error}")
            return
        self.exported.emit(done)
