"""What every part of the core shares: the words (``vocabulary``), the bounds (``limits``),
the storage keys (``keys``), the platform ports (``ports``), validated storage (``store``),
a decision and where it is reported (``decisions``, ``reporting``), and SHA-256
(``digest``). It imports nothing else of the tracker."""
