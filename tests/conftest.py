"""Shared pytest fixtures for the msa test suite."""

from __future__ import annotations
