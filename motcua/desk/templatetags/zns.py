"""``{% load zns %}{% zns_card agency kind %}``: the ZNS template beside the SMS text (``desk.zns``)."""

from motcua.desk.zns import register

__all__ = ["register"]
