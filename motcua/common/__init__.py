"""Web helpers shared by the desk, the lookup pages and operations; no models, so any app may use them."""
