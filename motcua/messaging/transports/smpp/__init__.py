"""SMPP 3.4 over one ``bind_transceiver`` per connection, with a small client of our own.

``pdu`` encodes and decodes the PDUs, ``receipts`` reads delivery receipts, ``mo`` joins and
identifies incoming messages, ``ratelimit`` paces submits, ``config`` reads the ``smpp://`` URL
(its parameters are documented there) and ``client`` runs the connection.
"""

from motcua.messaging.transports.smpp.client import SmppTransport
from motcua.messaging.transports.smpp.config import SmppSettings
from motcua.messaging.transports.smpp.receipts import normalise_remote_id

__all__ = ["SmppSettings", "SmppTransport", "normalise_remote_id"]
