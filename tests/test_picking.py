"""The picker over a list too long to show (core.services.picking): account pickers of a new
order or offer, Quick Add's plans on an order or offer page. Plain readers over a list here; the
pages' own tests (tests/test_bss_quick_add_many_plans.py, tests/test_bss_*_many_accounts.py)
read the database."""

from core.services import picking

WORDING = picking.Wording("{count} match", "none match")


def _readers(names, calls=None):
    entries = [(n, name) for n, name in enumerate(names, start=1)]

    def read(name_contains, limit):
        if calls is not None:
            calls.append(("read", name_contains, limit))
        found = [e for e in entries if not name_contains or name_contains.lower() in e[1].lower()]
        return found[:limit]

    def read_one(key):
        if calls is not None:
            calls.append(("read_one", key))
        return [e for e in entries if e[0] == key]

    return read, read_one


def _names(count):
    return [f"Service {n}" for n in range(1, count + 1)]


def test_up_to_the_limit_every_entry_is_listed_and_nothing_is_searched():
    calls = []
    read, read_one = _readers(_names(picking.LIMIT), calls)
    pick = picking.pick(read, read_one, None, "Service 1", True, WORDING)
    assert not pick.many and len(pick.choices) == picking.LIMIT
    assert pick.chosen is None and pick.error is None
    assert calls == [("read", None, picking.LIMIT + 1)]


def test_beyond_the_limit_only_the_chosen_entry_is_listed_read_by_its_key_if_need_be():
    read, read_one = _readers(_names(picking.LIMIT + 1))
    assert picking.choices(read, read_one, None) == ([], True)
    assert picking.choices(read, read_one, 3) == ([(3, "Service 3")], True)
    calls = []
    read, read_one = _readers(_names(picking.LIMIT + 2), calls)
    last = picking.LIMIT + 2  # not among the LIMIT + 1 read first
    assert picking.choices(read, read_one, last) == ([(last, f"Service {last}")], True)
    assert calls[-1] == ("read_one", last)


def test_a_typed_name_with_one_match_or_the_whole_name_of_one_is_taken():
    read, read_one = _readers(_names(picking.LIMIT + 50))
    one = picking.pick(read, read_one, None, "service 249", True, WORDING)
    assert one.many and one.chosen == 249 and one.error is None
    # "Service 1" is in 111 names, and the whole name of one
    whole = picking.pick(read, read_one, None, " SERVICE 1 ", True, WORDING)
    assert whole.chosen == 1 and whole.error is None


def test_several_matches_are_offered_with_their_count_and_none_says_so():
    read, read_one = _readers(_names(picking.LIMIT + 50))
    several = picking.pick(read, read_one, None, "ervice 24", True, WORDING)
    assert several.chosen is None and several.error == "11 match"  # 24, 240-249
    assert [key for key, _ in several.choices] == [24, *range(240, 250)]
    none = picking.pick(read, read_one, None, "Nothing", True, WORDING)
    assert none.chosen is None and none.error == "none match" and none.choices == []
    empty = picking.pick(read, read_one, None, "   ", True, WORDING)
    assert empty.chosen is None and empty.error == "none match"


def test_a_chosen_entry_wins_over_the_typed_name_and_a_page_shown_again_has_no_error():
    read, read_one = _readers(_names(picking.LIMIT + 50))
    chosen = picking.pick(read, read_one, 245, "Service 24", True, WORDING)
    assert chosen.chosen == 245 and chosen.error is None
    assert (245, "Service 245") in chosen.choices
    shown = picking.pick(read, read_one, None, "ervice 24", False, WORDING)
    assert shown.chosen is None and shown.error is None and len(shown.choices) == 11


def test_the_matches_are_capped_at_the_limit():
    read, read_one = _readers(_names(picking.LIMIT * 2))
    found = picking.search(read, "service", WORDING)
    assert len(found.matches) == picking.LIMIT
    assert found.error == f"More than {picking.LIMIT} match"


def test_a_plan_is_designated_by_its_whole_label_or_its_products_whole_name():
    label = picking.plan_label("Azure Backup", "Monthly")
    assert label == "Azure Backup (Monthly)"
    assert picking.whole_plan_label(label, "azure backup (monthly)")
    assert picking.whole_plan_label(label, "Azure Backup")
    assert not picking.whole_plan_label(label, "Azure")
    assert not picking.whole_plan_label(label, "Monthly")


def test_like_wildcards_typed_by_the_user_are_dropped():
    assert picking.contains_pattern("50%_Off\\") == "%50off%"
