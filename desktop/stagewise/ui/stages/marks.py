"""The marks of the stage timeline, painted with QPainter: each kind has its own shape, so nothing relies on
colour alone (the step diamond, the decision triangle, the hatched pause, the recycling arrow, series
markers)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF

from stagewise.ui import style

STEP = QColor(style.ACCENT)
RECYCLE = QColor("#5d6d7e")  # neutral slate: a move back is ordinary, not an alarm
PAUSE = QColor("#8a939c")
DECISION = QColor("#4a5560")


def diamond(p: QPainter, c: QPointF, r: float, *, faded: bool = False) -> None:
    poly = QPolygonF(
        [
            QPointF(c.x(), c.y() - r),
            QPointF(c.x() + r, c.y()),
            QPointF(c.x(), c.y() + r),
            QPointF(c.x() - r, c.y()),
        ]
    )
    p.setPen(QPen(STEP, 1.6))
    p.setBrush(QColor(style.BASE) if not faded else QColor("#eef3f3"))
    p.drawPolygon(poly)
    p.setBrush(STEP if not faded else QColor(style.BASE))
    inner = r * 0.45
    p.drawPolygon(
        QPolygonF(
            [
                QPointF(c.x(), c.y() - inner),
                QPointF(c.x() + inner, c.y()),
                QPointF(c.x(), c.y() + inner),
                QPointF(c.x() - inner, c.y()),
            ]
        )
    )
    p.setBrush(Qt.BrushStyle.NoBrush)


def triangle(p: QPainter, c: QPointF, r: float) -> None:
    poly = QPolygonF(
        [
            QPointF(c.x(), c.y() - r),
            QPointF(c.x() + r, c.y() + r * 0.8),
            QPointF(c.x() - r, c.y() + r * 0.8),
        ]
    )
    p.setPen(QPen(DECISION, 1.2))
    p.setBrush(QColor("#dfe4e8"))
    p.drawPolygon(poly)
    p.setBrush(Qt.BrushStyle.NoBrush)


def hatch(p: QPainter, box: QRectF) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#f1f2f4"))
    p.drawRect(box)
    brush = QBrush(PAUSE, Qt.BrushStyle.BDiagPattern)
    p.setBrush(brush)
    p.drawRect(box)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(PAUSE, 1, Qt.PenStyle.DashLine))
    p.drawRect(box)


def curved_arrow(p: QPainter, start: QPointF, end: QPointF, *, bulge: float = 8.0) -> None:
    """A curved arrow from ``start`` to ``end`` bowing to the left: the recycling mark."""
    path = QPainterPath(start)
    ctrl = QPointF(min(start.x(), end.x()) - bulge, (start.y() + end.y()) / 2)
    path.quadTo(ctrl, end)
    pen = QPen(RECYCLE, 2)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    # Arrow head along the curve's end tangent.
    angle = math.atan2(end.y() - ctrl.y(), end.x() - ctrl.x())
    size = 7.0
    left = QPointF(end.x() - size * math.cos(angle - 0.45), end.y() - size * math.sin(angle - 0.45))
    right = QPointF(end.x() - size * math.cos(angle + 0.45), end.y() - size * math.sin(angle + 0.45))
    p.setBrush(RECYCLE)
    p.setPen(QPen(RECYCLE, 1))
    p.drawPolygon(QPolygonF([end, left, right]))
    p.setBrush(Qt.BrushStyle.NoBrush)


def shape(p: QPainter, shape: str, c: QPointF, colour: QColor) -> None:
    p.setPen(QPen(colour, 1.5))
    p.setBrush(QColor(style.BASE))
    r = 4.5
    if shape == "circle":
        p.drawEllipse(c, r, r)
    elif shape == "square":
        p.drawRect(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r))
    elif shape == "triangle":
        p.drawPolygon(
            QPolygonF(
                [
                    QPointF(c.x(), c.y() - r - 1),
                    QPointF(c.x() + r, c.y() + r),
                    QPointF(c.x() - r, c.y() + r),
                ]
            )
        )
    elif shape == "diamond":
        p.drawPolygon(
            QPolygonF(
                [
                    QPointF(c.x(), c.y() - r - 1),
                    QPointF(c.x() + r + 1, c.y()),
                    QPointF(c.x(), c.y() + r + 1),
                    QPointF(c.x() - r - 1, c.y()),
                ]
            )
        )
    else:
        p.drawLine(QPointF(c.x() - r, c.y() - r), QPointF(c.x() + r, c.y() + r))
        p.drawLine(QPointF(c.x() - r, c.y() + r), QPointF(c.x() + r, c.y() - r))
    p.setBrush(Qt.BrushStyle.NoBrush)
