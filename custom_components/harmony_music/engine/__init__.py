"""Pure domain logic: no Home Assistant import may appear in this package."""
