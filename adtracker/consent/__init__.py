"""The shopper's consent: events held while it is pending (``waiting``), and the store's
consent platform read as consent: Google Consent Mode v2 (``gcm``), IAB TCF v2.2
(``tcf``), applied to a tracker by ``platform``."""
