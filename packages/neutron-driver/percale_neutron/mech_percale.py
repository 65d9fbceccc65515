"""ML2 mechanism driver ``percale``: binds ports as routed taps on Percale hosts.

Neutron loads it from the ``neutron.ml2.mechanism_drivers`` entry point. Binding
is left to Neutron's agent-based base class, so a port is bound only on a host
whose "Calico per-host agent (felix)" agent is alive; Percale's controller keeps
those agents alive with ``report_state`` over Neutron's agent RPC. Everything
else (etcd, policy, port status) is the controller's job, outside neutron-server.
"""

import re

from neutron.plugins.ml2.drivers import mech_agent
from neutron_lib.api.definitions import portbindings
from neutron_lib import constants

# The agent type and VIF values Calico's own driver uses; Nova and Felix rely on them.
AGENT_TYPE_FELIX = "Calico per-host agent (felix)"
VIF_TYPE_TAP = portbindings.VIF_TYPE_TAP
DEFAULT_TAP_MAC = "00:61:fe:ed:ca:fe"

_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


def tap_mac(port_mac):
    """The host-side tap MAC for a port: its MAC with the first octet ``fe``.

    A fixed, port-derived tap MAC keeps the guest's neighbour entry valid when
    the VM moves host; anything that is not a MAC falls back to the default.
    """
    if not isinstance(port_mac, str) or not _MAC_RE.match(port_mac):
        return DEFAULT_TAP_MAC
    return "fe" + port_mac[2:]


class PercaleMechanismDriver(mech_agent.SimpleAgentMechanismDriverBase):
    """Binds normal-VNIC ports on ``local`` and ``flat`` segments as ``tap``."""

    def __init__(self):
        super().__init__(
            AGENT_TYPE_FELIX,
            VIF_TYPE_TAP,
            {portbindings.CAP_PORT_FILTER: True,
             "mac_address": DEFAULT_TAP_MAC})

    def get_allowed_network_types(self, agent=None):
        return (constants.TYPE_LOCAL, constants.TYPE_FLAT)

    def get_mappings(self, agent):
        # Percale routes; it has no bridges, so no physnet mappings to check.
        return {}

    def check_segment_for_agent(self, segment, agent):
        # The base class would demand a bridge mapping for flat segments.
        return (agent["agent_type"] == self.agent_type and
                segment["network_type"] in self.get_allowed_network_types(agent))

    def get_vif_details(self, context, agent, segment):
        details = dict(self.vif_details)
        details["mac_address"] = tap_mac(context.current.get("mac_address"))
        return details
