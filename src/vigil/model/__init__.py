"""Typed core/v2 resources: one msgspec Struct per type, validation, selector fields."""
