"""The routes of ``naskah serve``: the host's API (:mod:`.api`) and the public verification page (:mod:`.page`)."""
