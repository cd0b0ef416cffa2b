"""The shared heart of the Storefront and the BSS: rules, models and use cases.

Nothing in this package imports Flask; the web layers call into it.
"""
