"""The events and their rules, before anything is sent: which beacon URLs may be sent to
(``urls``), the dedup windows and keys (``dedup``) and the marks that keep them
(``marks``), the view rule (``visibility``), conversions (``conversion``: VTEX's schema,
normalisation and hashing) and the clicks the loader kept before Python ran
(``preboot``)."""
