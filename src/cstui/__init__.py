"""cstui: a terminal console for e-commerce customer-service teams."""

__version__ = "0.2.0"
