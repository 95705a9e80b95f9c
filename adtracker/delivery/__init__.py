"""Getting each accepted event to VTEX Ads exactly once as VTEX counts it: the durable
outbox (``outbox``), what an answer means (``responses``), when to send again
(``retry``), and the sender that moves events out of the outbox (``sender``)."""
