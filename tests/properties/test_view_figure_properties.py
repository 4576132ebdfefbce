"""Every view of any System draws, its labels apart and by their nodes, or says why not."""

from __future__ import annotations

from pathlib import Path

import pytest
from _systems import balanced_systems
from hypothesis import HealthCheck, given, settings
from test_view_properties import msa_tables

from msa.cli.commands import _sankey_links
from msa.errors import MsaError
from msa.figures.diagram import draw_plan
from msa.figures.overlaps import overlaps
from msa.figures.plan import SankeyOptions, plan_sankey
from msa.jrc_msa.template import build_msa_system

#: The views of msa sankey (jrc: the System's own processes in JRC stage columns).
VIEWS = ("jrc", "icer", "pga")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _draw_or_refuse(system, view: str, lang: str) -> None:
    """Draw ``view`` of the System's first year as ``msa sankey`` does, or raise an MsaError.

    A drawn figure's labels overlap no label or bar and each stays by its node.
    """
    year = int(system.years[0])
    try:
        links, nodes, notes = _sankey_links(Path("random"), system, year, view, lang, "none")
        options = SankeyOptions.checked(lang=lang, footnotes=list(notes))
        plan = plan_sankey(links, nodes, options)
        fig = draw_plan(plan)
    except MsaError as err:  # a refusal is one line naming what is missing
        assert "\n" not in str(err).strip() and str(err)
        return
    assert fig.data, "a drawn figure has a Sankey trace"
    found = overlaps(plan)
    assert (found.label_label, found.label_bar, found.detached) == ([], [], [])


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("view", VIEWS)
@FAST
@given(table=msa_tables(max_codes=12))
def test_any_msa_table_draws_in_every_view(table, view, lang):
    """A System built from any MSA table (JRC-tagged flows) draws in every view or refuses."""
    system = build_msa_system(table, missing="zero").system
    _draw_or_refuse(system, view, lang)


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("view", VIEWS)
@FAST
@given(system=balanced_systems())
def test_any_untagged_system_draws_in_every_view(system, view, lang):
    """A System without JRC codes draws its own processes, or a view says what it lacks."""
    _draw_or_refuse(system, view, lang)
