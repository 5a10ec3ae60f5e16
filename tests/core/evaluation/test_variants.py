"""Runs that differ in more than method and seed are named, and told apart."""

from __future__ import annotations

from core.evaluation.variants import MISSING, differing_settings, variant_suffixes


def config(method="fixed", seed=0, refit=False, epochs=30, **more):
    return {"method": method, "seed": seed, "train": {"epochs": epochs, "refit": refit},
            "versions": {"torch": str(seed)}, **more}  # fmt: skip


def test_only_settings_beyond_method_seed_and_versions_differ():
    assert differing_settings([config(), config("gaba", 1)]) == []
    assert differing_settings([config(), config(refit=True)]) == [("train.refit", "False / True")]


def test_a_setting_one_run_lacks_still_differs():
    runs = [config(), config(dropout=[0.2, 0.2])]
    assert differing_settings(runs) == [("dropout", f"{MISSING} / 0.2, 0.2")]


def test_the_usual_variant_has_no_suffix_the_others_say_how_they_depart():
    runs = [config(), config(seed=1), config(refit=True, epochs=60), config("gaba"), None]
    assert variant_suffixes(runs) == ["", "", " · epochs=60, refit=True", "", ""]


def test_on_a_tie_the_first_seen_value_is_the_usual_one():
    assert variant_suffixes([config(refit=True), config(refit=False)]) == ["", " · refit=False"]


def test_long_values_are_cut_in_an_entrys_name():
    long = "csv:/data/fleet/" + "x" * 40 + ".csv"
    [_, suffix] = variant_suffixes([config(source=None), config(source=long)])
    assert suffix.startswith(" · source=csv:/data/") and suffix.endswith("…")
    assert len(suffix) == len(" · source=") + 24
