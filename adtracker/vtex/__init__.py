"""VTEX storefronts' own messages (``data-vtex-events``): what ``vtex:orderPlaced`` and
``vtex:userData`` mean (``storefront``), and applying them to a tracker (``handler``)."""
