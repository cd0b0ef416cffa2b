"""Speed of the catalogue back office (issue 15, part G): with 20,000 products and 10 price
lists, the BSS product list (first page, a deep page, a search), a product page, the price
lists and a price list's price table run the same statements as with the demo's dozen
products."""

from __future__ import annotations

from sqlalchemy import insert, select

from core.models import PriceList, Product, ProductType, Tenant
from tests.conftest import login, soup
from tests.test_storefront_queries import fresh

PRODUCTS = 20_000
PRICE_LISTS = 10


def _grow(session) -> None:
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    types = session.scalars(select(ProductType.id).where(ProductType.tenant_id == tenant_id)).all()
    session.execute(
        insert(PriceList),
        [{"tenant_id": tenant_id, "name": f"Price list {n}"} for n in range(PRICE_LISTS)],
    )
    session.execute(
        insert(Product),
        [
            {
                "tenant_id": tenant_id,
                "product_type_id": types[n % len(types)],
                "code": f"BULK-{n:05d}",
                "name": f"Bulk Service {n:05d}",
                "description": "",
                "is_bundle": False,
                "active": n % 7 != 0,
                "published": n % 3 != 0,
            }
            for n in range(PRODUCTS)
        ],
    )
    session.commit()


def _measure(client, session, count_queries) -> dict[str, int]:
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    product_id = session.scalar(
        select(Product.id).where(Product.code == "M365-STD", Product.tenant_id == tenant_id)
    )
    standard = session.scalar(
        select(PriceList.id).where(PriceList.tenant_id == tenant_id, PriceList.name == "Standard")
    )
    first = soup(client.get("/bss/catalogue/products?q=bulk"))
    link = first.find("a", rel="next")
    pages = {
        "list": "/bss/catalogue/products",
        "list next page": link["href"] if link else "/bss/catalogue/products?q=bulk",
        "list search": "/bss/catalogue/products?q=service&status=published",
        "list by type": f"/bss/catalogue/products?product_type={_type(session)}",
        "product page": f"/bss/catalogue/products/{product_id}",
        "price lists": "/bss/catalogue/price-lists",
        "price list": f"/bss/catalogue/price-lists/{standard}",
        "prices": f"/bss/catalogue/price-lists/{standard}/prices",
        "prices search": f"/bss/catalogue/price-lists/{standard}/prices?q=m365",
    }
    counts = {}
    for name, url in pages.items():
        fresh(session)
        with count_queries() as q:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        counts[name] = q.count
    return counts


def _type(session) -> int:
    return session.scalar(select(ProductType.id).order_by(ProductType.id).limit(1))


def test_catalogue_pages_run_a_fixed_number_of_queries_with_20000_products(
    client, session, demo, count_queries
):
    login(client, "admin@skyline.example", bss=True)
    small = _measure(client, session, count_queries)
    _grow(session)
    large = _measure(client, session, count_queries)
    print(f"\nCatalogue back office queries (demo / {PRODUCTS:,} products):")
    for name in small:
        print(f"  {name:16} {small[name]:3} / {large[name]:3}")
    assert large == small
    # list: the signed-in user, the product types, the page; prices: user, price list,
    # products, their plans, their add-ons; product page: user, product with its type, the
    # types, history, price lists, plans and add-ons each with their prices (issue 19: one
    # query each, was four), upgrade targets, components
    assert small["product page"] <= 9, small
    assert max(v for k, v in small.items() if k != "product page") <= 5, small
