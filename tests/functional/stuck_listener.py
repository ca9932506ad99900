#!/usr/bin/env python3
"""stuck_listener.py PORTFILE — a loopback TCP listener whose connects hang: listen(fd, 0), never
accept, and its accept queue filled, so the kernel drops every further SYN (the connect neither
completes nor fails for minutes). Writes the port to PORTFILE once a probe connect is seen to hang;
then holds everything open until killed."""
import socket, sys, time

l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0)
port = l.getsockname()[1]
held = []
for _ in range(8):  # more than a backlog of 0 admits: the queue is full after these
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    held.append(s)
time.sleep(0.3)
probe = socket.socket()
probe.settimeout(1.0)
try:
    probe.connect(("127.0.0.1", port))
    sys.exit("stuck_listener: a probe connect completed: the accept queue is not full")
except socket.timeout:
    pass
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % port)
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(60)
