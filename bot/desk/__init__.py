"""The staff desk: escalated tickets, replies through the outbox, FAQ approvals and statistics (web, /staff)."""

from bot.desk.app import build_desk
from bot.desk.notify import StaffNotifier, make_staff_notifier

__all__ = ["StaffNotifier", "build_desk", "make_staff_notifier"]
