"""Password rules (issue 14 F): a minimum length, and no password from the common list that
zxcvbn ships (nor one made from the user's e-mail address)."""

from core import texts
from core.rules.passwords import MIN_LENGTH, password_problems
from core.services.passwords import check_password, common_passwords


def test_the_common_list_is_the_one_zxcvbn_ships():
    common = common_passwords()
    assert len(common) > 25_000
    assert {"password", "123456", "qwerty", "iloveyou"} <= common


def test_a_short_password_is_refused():
    assert password_problems("x" * (MIN_LENGTH - 1), set())
    assert not password_problems("x" * MIN_LENGTH, set())


def test_a_common_password_is_refused_whatever_its_case():
    assert check_password("Password1234")  # on the list
    assert check_password("TicketMaster") and check_password("jamesbond007")
    assert not check_password("violet-harbour-lantern")


def test_a_password_made_from_the_address_is_refused():
    # each refusal says its own reason (one message for both misled a tester)
    assert password_problems("alice-secret-99", set(), "alice@acme.example") == [
        texts.PASSWORD_FROM_ADDRESS
    ]
    assert password_problems("Password1234", {"password1234"}, "a@b.example") == [
        texts.PASSWORD_TOO_COMMON
    ]
    assert not password_problems("violet-harbour-lantern", set(), "alice@acme.example")
