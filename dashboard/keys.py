"""Typed keys for what the dashboard keeps on its Application and on each request."""

from __future__ import annotations

from aiohttp import web

from dashboard.sessions import SessionPolicy
from store.models import StaffMember

POLICY = web.AppKey[SessionPolicy]("session_policy")
PREFIX = web.AppKey[str]("dashboard_prefix")
STAFF = web.RequestKey[StaffMember]("staff")
CSRF = web.RequestKey[str]("csrf_token")
