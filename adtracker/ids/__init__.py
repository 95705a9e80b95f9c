"""Who the events are for: the ``user_id`` and ``session_id`` sent with every event.

``host_id``: what a host id is; ``places``: ids read from where the store keeps them
(cookies, web storage, VTEX's own); ``identity``: which ids are sent, the generated ones
and their stored record."""
