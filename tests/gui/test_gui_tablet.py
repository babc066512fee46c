"""A pen on a tablet draws and erases like the mouse."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtWidgets import QApplication


def pen(pointer: QPointingDevice.PointerType) -> QPointingDevice:
    return QPointingDevice(
        "test pen",
        4242,
        QInputDevice.DeviceType.Stylus,
        pointer,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        2,
    )


def send(canvas, device: QPointingDevice, kind: QTabletEvent.Type, x: float, y: float) -> None:
    position = canvas.widget_point(x, y)
    released = kind == QTabletEvent.Type.TabletRelease
    buttons = Qt.MouseButton.NoButton if released else Qt.MouseButton.LeftButton
    event = QTabletEvent(
        kind, device, position, canvas.mapToGlobal(position), 0.7, 0.0, 0.0, 0.0, 0.0, 0.0,
        Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, buttons,
    )  # fmt: skip
    QApplication.sendEvent(canvas, event)


def stroke(canvas, device: QPointingDevice, y: float) -> None:
    send(canvas, device, QTabletEvent.Type.TabletPress, 0.2, y)
    for step in range(1, 11):
        send(canvas, device, QTabletEvent.Type.TabletMove, 0.2 + 0.06 * step, y)
    send(canvas, device, QTabletEvent.Type.TabletRelease, 0.8, y)


def test_pen_draws_and_its_eraser_end_erases(qtbot, window) -> None:
    canvas = window.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as shown:
        stroke(canvas, pen(QPointingDevice.PointerType.Pen), 0.5)
    assert shown.args[0] is not None
    assert canvas.stroke_count() == 1
    row = round(canvas.widget_point(0.5, 0.5).y() - canvas.widget_point(0, 0).y())
    assert (canvas.image_array()[row] > 200).sum() > canvas.image_array().shape[1] // 3
    stroke(canvas, pen(QPointingDevice.PointerType.Eraser), 0.5)
    assert canvas.stroke_count() == 2
    assert (canvas.image_array()[row] > 200).sum() == 0
