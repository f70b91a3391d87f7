"""The optional Home Assistant bridge (``pi-pause mqtt``): the service's state out over MQTT,
its buttons in, as a process of its own that reaches the service only through the control socket."""
