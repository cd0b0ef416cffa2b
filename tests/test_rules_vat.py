"""VAT number formats of the EU (core/rules/vat.py): one valid and one invalid number per
country, and the separators a user types."""

import pytest

from core.rules.vat import EU_VAT_PATTERNS, VatNumberInvalid, normalize_vat_number

VALID = {
    "AT": "ATU12345678",
    "BE": "BE0123456789",
    "BG": "BG1234567890",
    "CY": "CY12345678X",
    "CZ": "CZ12345678",
    "DE": "DE123456789",
    "DK": "DK12345678",
    "EE": "EE123456789",
    "EL": "EL123456789",
    "ES": "ESX1234567X",
    "FI": "FI12345678",
    "FR": "FRAB123456789",
    "HR": "HR12345678901",
    "HU": "HU12345678",
    "IE": "IE1234567WA",
    "IT": "IT12345678901",
    "LT": "LT123456789012",
    "LU": "LU12345678",
    "LV": "LV12345678901",
    "MT": "MT12345678",
    "NL": "NL123456789B01",
    "PL": "PL1234567890",
    "PT": "PT123456789",
    "RO": "RO1234567890",
    "SE": "SE123456789001",
    "SI": "SI12345678",
    "SK": "SK1234567890",
    "XI": "XI123456789",
}
INVALID = {
    "AT": "AT12345678",  # the U is missing
    "BE": "BE2123456789",  # starts with 0 or 1
    "BG": "BG12345678",
    "CY": "CY123456789",
    "CZ": "CZ1234567",
    "DE": "DE12345678",
    "DK": "DK1234567",
    "EE": "EE12345678",
    "EL": "EL12345678",
    "ES": "ES12345678",
    "FI": "FI1234567",
    "FR": "FRIO123456789",  # I and O are never used
    "HR": "HR1234567890",
    "HU": "HU1234567",
    "IE": "IE1234567Z",
    "IT": "IT1234567890",
    "LT": "LT1234567890",
    "LU": "LU1234567",
    "LV": "LV1234567890",
    "MT": "MT1234567",
    "NL": "NL123456789A01",
    "PL": "PL123456789",
    "PT": "PT12345678",
    "RO": "RO0123",
    "SE": "SE123456789012",
    "SI": "SI1234567",
    "SK": "SK123456789",
    "XI": "XI12345678",
}


def test_every_country_of_the_table_is_tested():
    assert set(VALID) == set(EU_VAT_PATTERNS) == set(INVALID)


@pytest.mark.parametrize("country", sorted(VALID))
def test_a_valid_number_of_each_country_is_accepted(country):
    assert normalize_vat_number(VALID[country]) == VALID[country]


@pytest.mark.parametrize("country", sorted(INVALID))
def test_a_number_in_the_wrong_format_is_refused(country):
    with pytest.raises(VatNumberInvalid):
        normalize_vat_number(INVALID[country])


def test_spaces_dots_and_hyphens_are_dropped_and_letters_upper_cased():
    assert normalize_vat_number(" de 123.456-789 ") == "DE123456789"
    assert normalize_vat_number("nl123456789b01") == "NL123456789B01"


@pytest.mark.parametrize("raw", ["", "GR123456789", "US123456789", "DE", "123456789"])
def test_an_unknown_country_prefix_or_no_number_is_refused(raw):
    with pytest.raises(VatNumberInvalid):
        normalize_vat_number(raw)
