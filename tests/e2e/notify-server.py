#!/usr/bin/env python3
"""A stand-in desktop notification server for the real-window tests.

Owns org.freedesktop.Notifications on the session bus (run it inside the test's
dbus-run-session) and appends each Notify call to LOG as one JSON line:

    {"id": 1, "app_name": "Bastide", "summary": "Agenda", "body": "...", ...}

so a test can assert what the app asked the desktop to show. It shows nothing.
Implements Notify, CloseNotification, GetCapabilities and GetServerInformation
(Desktop Notifications Specification 1.2). Stops on SIGTERM or SIGINT.

    notify-server.py LOG

Needs python3-gi and gir1.2-glib-2.0 (Debian's /usr/bin/python3).
"""

import json
import signal
import sys
import time

import gi

gi.require_version("Gio", "2.0")
gi.require_version("GLib", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" name="app_name" direction="in"/>
      <arg type="u" name="replaces_id" direction="in"/>
      <arg type="s" name="app_icon" direction="in"/>
      <arg type="s" name="summary" direction="in"/>
      <arg type="s" name="body" direction="in"/>
      <arg type="as" name="actions" direction="in"/>
      <arg type="a{sv}" name="hints" direction="in"/>
      <arg type="i" name="expire_timeout" direction="in"/>
      <arg type="u" name="id" direction="out"/>
    </method>
    <method name="CloseNotification">
      <arg type="u" name="id" direction="in"/>
    </method>
    <method name="GetCapabilities">
      <arg type="as" name="capabilities" direction="out"/>
    </method>
    <method name="GetServerInformation">
      <arg type="s" name="name" direction="out"/>
      <arg type="s" name="vendor" direction="out"/>
      <arg type="s" name="version" direction="out"/>
      <arg type="s" name="spec_version" direction="out"/>
    </method>
    <signal name="NotificationClosed">
      <arg type="u" name="id"/>
      <arg type="u" name="reason"/>
    </signal>
    <signal name="ActionInvoked">
      <arg type="u" name="id"/>
      <arg type="s" name="action_key"/>
    </signal>
  </interface>
</node>
"""
# NotificationClosed reason 3: closed by a call to CloseNotification.
CLOSED_BY_CALL = 3


class Server:
    def __init__(self, log_path):
        self.log = open(log_path, "a", encoding="utf-8")
        self.next_id = 1
        self.open_ids = set()
        self.loop = GLib.MainLoop()
        self.connection = None

    def record(self, entry):
        self.log.write(json.dumps(entry, ensure_ascii=False, default=repr) + "\n")
        self.log.flush()

    def on_call(self, connection, sender, path, interface, method, params, invocation):
        if method == "Notify":
            app_name, replaces_id, app_icon, summary, body, actions, hints, timeout = params.unpack()
            notification_id = replaces_id if replaces_id in self.open_ids else self.next_id
            if notification_id == self.next_id:
                self.next_id += 1
            self.open_ids.add(notification_id)
            self.record(
                {
                    "id": notification_id,
                    "time": time.time(),
                    "sender": sender,
                    "app_name": app_name,
                    "replaces_id": replaces_id,
                    "app_icon": app_icon,
                    "summary": summary,
                    "body": body,
                    "actions": actions,
                    # Image hints are large byte arrays: keep their names only.
                    "hints": {k: (v if not k.startswith("image") and k != "icon_data" else "…") for k, v in hints.items()},
                    "expire_timeout": timeout,
                }
            )
            invocation.return_value(GLib.Variant("(u)", (notification_id,)))
        elif method == "CloseNotification":
            (notification_id,) = params.unpack()
            if notification_id in self.open_ids:
                self.open_ids.discard(notification_id)
                connection.emit_signal(
                    None, PATH, NAME, "NotificationClosed", GLib.Variant("(uu)", (notification_id, CLOSED_BY_CALL))
                )
            invocation.return_value(None)
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body", "actions"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("bastide-e2e-notify", "Bastide tests", "1.0", "1.2")))
        else:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", f"no method {method}")

    def on_bus(self, connection, _name):
        self.connection = connection
        node = Gio.DBusNodeInfo.new_for_xml(INTERFACE)
        connection.register_object(PATH, node.interfaces[0], self.on_call, None, None)

    def on_name_acquired(self, _connection, name):
        print(f"notify-server: owns {name}", file=sys.stderr, flush=True)

    def on_name_lost(self, _connection, name):
        print(f"notify-server: could not own {name} (another server has it?)", file=sys.stderr, flush=True)
        self.status = 1
        self.loop.quit()

    def run(self):
        self.status = 0
        owner = Gio.bus_own_name(
            Gio.BusType.SESSION,
            NAME,
            Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
            self.on_bus,
            self.on_name_acquired,
            self.on_name_lost,
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, self.quit)
        self.loop.run()
        Gio.bus_unown_name(owner)
        self.log.close()
        return self.status

    def quit(self):
        self.loop.quit()
        return GLib.SOURCE_REMOVE


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} LOG", file=sys.stderr)
        return 2
    return Server(argv[1]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
