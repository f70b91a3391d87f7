"""The optional settings page on the home network (``pi-pause web``)."""
