"""Percale's Neutron ML2 mechanism driver (entry point ``percale``)."""
